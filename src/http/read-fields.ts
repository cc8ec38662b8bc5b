import { validationError } from '../errors.js';

/**
 * Reads required string fields from an untrusted body, answering as DRF's serializers do:
 * `{"password": ["This field is required."]}`, one message per bad field.
 *
 * @example const { username, password } = requireStrings(request.body, ['username', 'password']);
 */
export function requireStrings<const K extends string>(body: unknown, names: readonly K[]): Record<K, string> {
  const object = asObject(body);
  const values: Partial<Record<K, string>> = {};
  const errors: Record<string, string[]> = {};
  for (const name of names) {
    const value = Object.hasOwn(object, name) ? object[name] : undefined;
    const problem = stringProblem(value);
    if (problem === undefined) values[name] = value as string;
    else errors[name] = [problem];
  }
  if (Object.keys(errors).length > 0) throw validationError(errors);
  return values as Record<K, string>;
}

/** An optional string field: undefined when absent; the DRF errors when present but not a non-blank string. */
export function optionalString(body: unknown, name: string): string | undefined {
  const object = asObject(body);
  if (!Object.hasOwn(object, name)) return undefined;
  const value = object[name];
  const problem = stringProblem(value);
  if (problem !== undefined) throw validationError({ [name]: [problem] });
  return value as string;
}

function stringProblem(value: unknown): string | undefined {
  if (value === undefined) return 'This field is required.';
  if (value === null) return 'This field may not be null.';
  if (typeof value !== 'string') return 'Not a valid string.';
  if (value.trim() === '') return 'This field may not be blank.';
  return undefined;
}

function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  const kind = Array.isArray(body) ? 'list' : typeof body === 'string' ? 'str' : typeof body === 'boolean' ? 'bool' : 'int';
  throw validationError({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${kind}.`] });
}
