import { validationError } from '../errors.js';

/**
 * A query string parameter as Fastify parsed it: the last value when repeated. A NUL is refused
 * as DRF refuses it (PostgreSQL cannot take one in text).
 */
export function queryText(query: unknown, name: string): string | undefined {
  const value = typeof query === 'object' && query !== null ? (query as Record<string, unknown>)[name] : undefined;
  const last = Array.isArray(value) ? value.at(-1) : value;
  if (typeof last !== 'string' || last === '') return undefined;
  if (last.includes('\u0000')) throw validationError({ [name]: ['Null characters are not allowed.'] });
  return last;
}

/** A whole-number parameter within [min, max], DRF's 400 otherwise; `fallback` when absent. */
export function queryInteger(query: unknown, name: string, fallback: number, min: number, max: number): number {
  const text = queryText(query, name);
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text)) throw validationError({ [name]: ['A valid integer is required.'] });
  const value = Number(text);
  if (value < min) throw validationError({ [name]: [`Ensure this value is greater than or equal to ${min}.`] });
  if (value > max) throw validationError({ [name]: [`Ensure this value is less than or equal to ${max}.`] });
  return value;
}
