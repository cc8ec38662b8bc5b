import { validationError } from '../errors.js';

/**
 * Reads required string fields from an untrusted body, answering as DRF's serializers do:
 * `{"password": ["This field is required."]}`, one message per bad field. As DRF's CharField,
 * numbers are taken as their text (`{"refresh": 123}` is the token "123"); booleans, objects
 * and arrays are not strings, and NUL or lone surrogate characters are refused.
 *
 * @example const { username, password } = requireStrings(request.body, ['username', 'password']);
 */
export function requireStrings<const K extends string>(body: unknown, names: readonly K[]): Record<K, string> {
  const object = asObject(body);
  const values: Partial<Record<K, string>> = {};
  const errors: Record<string, string[]> = {};
  for (const name of names) {
    const read = readString(Object.hasOwn(object, name) ? object[name] : undefined);
    if (typeof read === 'string') values[name] = read;
    else errors[name] = [read.problem];
  }
  if (Object.keys(errors).length > 0) throw validationError(errors);
  return values as Record<K, string>;
}

/** An optional string field: undefined when absent; the DRF errors when present but not a non-blank string. */
export function optionalString(body: unknown, name: string): string | undefined {
  const object = asObject(body);
  if (!Object.hasOwn(object, name)) return undefined;
  const read = readString(object[name]);
  if (typeof read !== 'string') throw validationError({ [name]: [read.problem] });
  return read;
}

/** DRF CharField's `run_validation`: required, null, blank, type (numbers become text), then its two validators. */
function readString(value: unknown): string | { readonly problem: string } {
  if (value === undefined) return { problem: 'This field is required.' };
  if (value === null) return { problem: 'This field may not be null.' };
  if (typeof value === 'string' && value.trim() === '') return { problem: 'This field may not be blank.' };
  if (typeof value !== 'string' && typeof value !== 'number') return { problem: 'Not a valid string.' };
  const text = String(value);
  if (text.includes('\0')) return { problem: 'Null characters are not allowed.' };
  const surrogate = /\p{Cs}/u.exec(text)?.[0];
  if (surrogate !== undefined) return { problem: `Surrogate characters are not allowed: U+${surrogate.charCodeAt(0).toString(16).toUpperCase()}.` };
  return text;
}

function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  const kind = Array.isArray(body) ? 'list' : typeof body === 'string' ? 'str' : typeof body === 'boolean' ? 'bool' : 'int';
  throw validationError({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${kind}.`] });
}
