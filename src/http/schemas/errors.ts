import { STATUS_BY_CODE } from '../../errors.js';
import { json, ref, type ResponseSchema } from './parts.js';

/** Every error code a client can meet; once shipped, never renamed (docs/api.md, "Error codes"). */
const CODE = { type: 'string', enum: Object.keys(STATUS_BY_CODE), description: 'Stable snake_case error code; never renamed once shipped.' } as const;

/** The error bodies, declared once (see registerSharedSchemas). */
export const ERROR_SCHEMAS = [
  {
    $id: 'Error',
    type: 'object',
    description: 'An error: `detail` for people, `code` for programs.',
    required: ['detail', 'code'],
    additionalProperties: false,
    properties: { detail: { type: 'string' }, code: CODE },
  },
  {
    $id: 'TokenMessage',
    type: 'object',
    description: 'Why one token class refused the token (simplejwt).',
    required: ['token_class', 'token_type', 'message'],
    additionalProperties: false,
    properties: { token_class: { type: 'string', examples: ['AccessToken'] }, token_type: { type: 'string', examples: ['access'] }, message: { type: 'string' } },
  },
  {
    $id: 'AuthenticationError',
    type: 'object',
    description:
      "A 401 as simplejwt answers it: `{detail}` alone when no credentials came or the login failed, `{detail, code}` otherwise, and `messages` when an access token was refused.",
    required: ['detail'],
    additionalProperties: false,
    properties: { detail: { type: 'string' }, code: CODE, messages: { type: 'array', items: ref('TokenMessage') } },
  },
  {
    $id: 'ValidationError',
    type: 'object',
    description: 'DRF\'s field errors: each bad field with its messages (`{"password": ["This field is required."]}`); `non_field_errors` when the body is not an object.',
    minProperties: 1,
    additionalProperties: { type: 'array', items: { type: 'string' }, minItems: 1 },
  },
  {
    $id: 'OAuthError',
    type: 'object',
    description: "RFC 6749's error shape, with Gatehouse's `detail` and `code` beside it.",
    required: ['error', 'error_description', 'detail', 'code'],
    additionalProperties: false,
    properties: { error: { type: 'string', enum: ['invalid_request'] }, error_description: { type: 'string' }, detail: { type: 'string' }, code: CODE },
  },
] as const;

const RETRY_AFTER = { 'Retry-After': { type: 'integer', minimum: 1, description: 'Seconds to wait before trying again.' } } as const;

/** A 401: every one names the Bearer scheme. */
export function unauthorized(description: string, example: { detail: string; code?: string }): ResponseSchema {
  return {
    description,
    headers: { 'WWW-Authenticate': { type: 'string', description: 'Always `Bearer realm="api"`.' } },
    content: json(ref('AuthenticationError'), example),
  };
}

/** 401 on the endpoints that take an access token. */
export const UNAUTHORIZED = unauthorized('No access token, or one that is not valid (expired, revoked, of the wrong type, or its user inactive).', {
  detail: 'Authentication credentials were not provided.',
});

/** 400 on endpoints with fields: DRF's field errors, or a body that cannot be read. */
export const INVALID_FIELDS: ResponseSchema = {
  description: 'Invalid fields (DRF\'s field errors), or a body that cannot be parsed (`parse_error`, `bad_request`).',
  content: json({ anyOf: [ref('Error'), ref('ValidationError')] }, { password: ['This field is required.'] }),
};

/** 400 for a body that cannot be parsed, on endpoints that read none. */
const UNREADABLE_BODY: ResponseSchema = {
  description: 'A body that cannot be parsed (`parse_error`, `bad_request`).',
  content: json(ref('Error'), { detail: 'JSON parse error - Expecting a valid JSON document', code: 'parse_error' }),
};

/** An error answered in the `Error` shape, with an example (else the page would invent one from the code list). */
export function errorResponse(description: string, example: { detail: string; code: string }): ResponseSchema {
  return { description, content: json(ref('Error'), example) };
}

export const NOT_FOUND = errorResponse('No such object (`not_found`).', { detail: 'Not found.', code: 'not_found' });

/** 429 with Retry-After: `description` says which limit. */
export function tooManyRequests(description: string): ResponseSchema {
  return { description, headers: RETRY_AFTER, content: json(ref('Error'), { detail: 'Request was throttled. Expected available in 60 seconds.', code: 'rate_limited' }) };
}

/** What any endpoint may answer when something fails on the server's side. */
export const SERVER_ERRORS = {
  500: errorResponse('An unexpected failure (`internal_error`); the server logs it.', { detail: 'A server error occurred.', code: 'internal_error' }),
  503: {
    description:
      'A dependency (the database) is unavailable, the request took longer than GATEHOUSE_REQUEST_TIMEOUT, too many passwords are being checked, or the server is shutting down (`service_unavailable`).',
    headers: RETRY_AFTER,
    content: json(ref('Error'), { detail: 'The service is temporarily unavailable; try again shortly.', code: 'service_unavailable' }),
  },
} as const satisfies Record<number, ResponseSchema>;

/** What any endpoint that accepts a request body may answer about the body itself. */
export const BODY_ERRORS = {
  413: errorResponse('The body is larger than GATEHOUSE_BODY_LIMIT (`payload_too_large`).', { detail: 'Request body is too large.', code: 'payload_too_large' }),
  415: errorResponse('A body that is neither JSON nor form-encoded (`unsupported_media_type`).', { detail: 'Unsupported media type in request.', code: 'unsupported_media_type' }),
} as const satisfies Record<number, ResponseSchema>;

/** The errors of an endpoint whose body has fields. */
export const FIELD_ERRORS = { 400: INVALID_FIELDS, ...BODY_ERRORS, ...SERVER_ERRORS } as const;

/** The errors of a POST or DELETE endpoint that reads no body (one may still be sent, and must parse). */
export const BODYLESS_ERRORS = { 400: UNREADABLE_BODY, ...BODY_ERRORS, ...SERVER_ERRORS } as const;
