import type { FastifySchemaCompiler } from 'fastify';
import { validationError } from '../errors.js';
import { readFieldsSchema, type IntegerField, type ReadField } from './request-schema.js';

type Validator = ReturnType<FastifySchemaCompiler<unknown>>;

const REQUIRED = 'This field is required.';
const NULL_CHARACTERS = 'Null characters are not allowed.';

/** DRF's 400 for a required field that is missing: `{"refresh": ["This field is required."]}`. */
export function fieldRequired(name: string): Error {
  return validationError({ [name]: [REQUIRED] });
}

/**
 * DRF CharField's `run_validation`: required, null, blank, type (numbers are taken as their
 * text, booleans, objects and arrays are not strings), then its two validators (no NUL, no lone
 * surrogate).
 */
function charField(value: unknown): string | { readonly problem: string } {
  if (value === undefined) return { problem: REQUIRED };
  if (value === null) return { problem: 'This field may not be null.' };
  if (typeof value === 'string' && value.trim() === '') return { problem: 'This field may not be blank.' };
  if (typeof value !== 'string' && typeof value !== 'number') return { problem: 'Not a valid string.' };
  const text = String(value);
  if (text.includes('\0')) return { problem: NULL_CHARACTERS };
  const surrogate = /\p{Cs}/u.exec(text)?.[0];
  if (surrogate !== undefined) return { problem: `Surrogate characters are not allowed: U+${surrogate.charCodeAt(0).toString(16).toUpperCase()}.` };
  return text;
}

/** A body as DRF's serializers see it: nothing (or JSON null) is `{}`; anything but an object is refused. */
function bodyObject(body: unknown): Record<string, unknown> | Error {
  if (body === undefined || body === null) return {};
  if (typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  const kind = Array.isArray(body) ? 'list' : typeof body === 'string' ? 'str' : typeof body === 'boolean' ? 'bool' : 'int';
  return validationError({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${kind}.`] });
}

/** Serializer fields: one message per bad field, all of them at once, in the schema's order. */
function validateBody(fields: readonly ReadField[]): Validator {
  return (body: unknown) => {
    const object = bodyObject(body);
    if (object instanceof Error) return { error: object };
    const value: Record<string, string> = {};
    const errors: Record<string, string[]> = {};
    for (const field of fields) {
      const raw = Object.hasOwn(object, field.name) ? object[field.name] : undefined;
      if (raw === undefined && !field.isRequired) continue;
      const read = charField(raw);
      if (typeof read === 'string') value[field.name] = read;
      else errors[field.name] = [read.problem];
    }
    return Object.keys(errors).length > 0 ? { error: validationError(errors) } : { value };
  };
}

function integerProblem(text: string, field: IntegerField): string | undefined {
  if (!/^\d{1,9}$/.test(text)) return 'A valid integer is required.';
  const value = Number(text);
  if (value < field.minimum) return `Ensure this value is greater than or equal to ${field.minimum}.`;
  if (value > field.maximum) return `Ensure this value is less than or equal to ${field.maximum}.`;
  return undefined;
}

/**
 * Query parameters as Fastify parsed them: the last value when repeated, an empty one as absent
 * (then the default, if any). A NUL is refused as DRF refuses it (PostgreSQL cannot take one).
 */
function validateQuery(fields: readonly ReadField[]): Validator {
  return (query: unknown) => {
    const object = typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {};
    const value: Record<string, string | number> = {};
    const errors: Record<string, string[]> = {};
    for (const field of fields) {
      const raw = object[field.name];
      const text = Array.isArray(raw) ? raw.at(-1) : raw;
      if (typeof text !== 'string' || text === '') {
        if (field.type === 'integer' && field.default !== undefined) value[field.name] = field.default;
        continue;
      }
      let problem: string | undefined;
      if (text.includes('\0')) problem = NULL_CHARACTERS;
      else if (field.type === 'integer') problem = integerProblem(text, field);
      else if (field.enum !== undefined && !field.enum.includes(text)) problem = field.errorMessage ?? 'Not a valid choice.';
      if (problem !== undefined) errors[field.name] = [problem];
      else value[field.name] = field.type === 'integer' ? Number(text) : text;
    }
    return Object.keys(errors).length > 0 ? { error: validationError(errors) } : { value };
  };
}

/**
 * Fastify's validator compiler for Gatehouse's routes: the route schema says which fields exist
 * and which are required; the checks and messages are DRF's (see charField), so answers stay
 * those of djangorestframework-simplejwt: `{"password": ["This field is required."]}`. Handlers
 * get the converted values (`Validated<typeof schema>`). A schema using anything these rules do
 * not check fails at start.
 *
 * @example app.setValidatorCompiler(drfValidatorCompiler);
 */
export const drfValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, method, url, httpPart }) => {
  const where = `${method} ${url} ${httpPart ?? ''}`;
  switch (httpPart) {
    case 'body':
      return validateBody(readFieldsSchema(schema, where, new Set(['string'])));
    case 'querystring':
      return validateQuery(readFieldsSchema(schema, where, new Set(['string', 'integer'])));
    case 'params':
      // Path parameters are always text; a route answers 404 for one it does not know.
      readFieldsSchema(schema, where, new Set(['string']));
      return (params: unknown) => ({ value: params });
    default:
      throw new Error(`${where}: Gatehouse's validators do not check ${httpPart ?? 'this part'}`);
  }
};
