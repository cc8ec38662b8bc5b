import type { FastifySchemaCompiler } from 'fastify';
import { GatehouseError } from '../errors.js';
import { readFieldsSchema } from './request-schema.js';

/** RFC 6749's error shape for a missing parameter, with our stable code beside it. */
function invalidRequest(name: string): GatehouseError {
  const detail = `The ${name} parameter is required.`;
  return new GatehouseError('invalid', detail, { body: { error: 'invalid_request', error_description: detail, detail, code: 'invalid' } });
}

/**
 * The validator compiler of the OAuth endpoints (RFC 7009, RFC 7662): form parameters, where a
 * required one must be a non-empty string (else 400 `invalid_request`) and an optional one that
 * is not a string is ignored, as the RFCs ignore unknown hints. Same schema shapes as
 * drfValidatorCompiler; anything else fails at start.
 *
 * @example app.post('/oauth/revoke', { schema: { body: REVOKE_BODY }, validatorCompiler: oauthValidatorCompiler }, …)
 */
export const oauthValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, method, url, httpPart }) => {
  const where = `${method} ${url} ${httpPart ?? ''}`;
  if (httpPart !== 'body') throw new Error(`${where}: the OAuth validator reads bodies only`);
  const fields = readFieldsSchema(schema, where, new Set(['string']));
  return (body: unknown) => {
    const object = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const value: Record<string, string> = {};
    for (const field of fields) {
      const raw = Object.hasOwn(object, field.name) ? object[field.name] : undefined;
      if (typeof raw === 'string' && raw !== '') value[field.name] = raw;
      else if (field.isRequired) return { error: invalidRequest(field.name) };
    }
    return { value };
  };
};
