import type { Config } from '../../config/schema.js';
import type { FieldsSchema } from '../request-schema.js';
import { errorResponse, FIELD_ERRORS, SERVER_ERRORS, tooManyRequests, UNAUTHORIZED } from './errors.js';
import { BEARER, CONSUMES, json, NULLABLE_TIME, ref } from './parts.js';

/** `GET /api/me/`'s user: never the hash or the custom claims. */
export const USER_SCHEMAS = [
  {
    $id: 'User',
    type: 'object',
    description: 'The caller, as Django\'s user model shows it.',
    required: ['id', 'username', 'is_active', 'last_login', 'date_joined'],
    additionalProperties: false,
    properties: {
      id: { type: 'integer' },
      username: { type: 'string' },
      is_active: { type: 'boolean' },
      last_login: NULLABLE_TIME,
      date_joined: NULLABLE_TIME,
    },
  },
  {
    $id: 'NewUser',
    type: 'object',
    description: 'The account just created; `username` is its stored (NFKC) form.',
    required: ['id', 'username'],
    additionalProperties: false,
    properties: { id: { type: 'integer' }, username: { type: 'string' } },
  },
] as const;

const USER_EXAMPLE = { id: 1, username: 'alice', is_active: true, last_login: '2025-01-01T12:00:00.000Z', date_joined: '2024-12-24T09:30:00.000Z' };

export const REGISTER_BODY = {
  type: 'object',
  properties: {
    username: { type: 'string', description: "Django's rule: at most 150 letters, digits and @ . + - _, after NFKC normalisation." },
    password: { type: 'string', description: 'At least GATEHOUSE_PASSWORD_MIN_LENGTH characters, at most 1,024, not common, not like the username.' },
  },
  required: ['username', 'password'],
  examples: [{ username: 'alice', password: 'correct horse battery' }],
} as const satisfies FieldsSchema;

export const SET_PASSWORD_BODY = {
  type: 'object',
  properties: { current_password: { type: 'string' }, new_password: { type: 'string', description: 'As a new account\'s password.' } },
  required: ['current_password', 'new_password'],
  examples: [{ current_password: 'correct horse battery', new_password: 'a different long password' }],
} as const satisfies FieldsSchema;

export const DELETE_ACCOUNT_BODY = {
  type: 'object',
  properties: { current_password: { type: 'string' } },
  required: ['current_password'],
  examples: [{ current_password: 'correct horse battery' }],
} as const satisfies FieldsSchema;

const CURRENT_USER = {
  200: { description: 'The caller.', content: json(ref('User'), USER_EXAMPLE) },
  401: UNAUTHORIZED,
  ...SERVER_ERRORS,
} as const;

/** The route schemas of `/api/me/` and registration. */
export function userRouteSchemas(config: Config) {
  return {
    me: {
      summary: 'The caller',
      description: 'The protected "who am I" endpoint. Answered without Fastify\'s routing when the token and its login can be checked at once (the same bytes either way).',
      tags: ['users'],
      operationId: 'getMe',
      security: BEARER,
      response: CURRENT_USER,
    },
    register: {
      summary: 'Sign up',
      description: 'Self-registration (off with GATEHOUSE_REGISTRATION=off). Refusals are DRF field errors on `username` or `password`.',
      tags: ['users'],
      operationId: 'register',
      consumes: CONSUMES,
      body: REGISTER_BODY,
      response: {
        201: { description: 'The account was created.', content: json(ref('NewUser'), { id: 1, username: 'alice' }) },
        ...FIELD_ERRORS,
        403: errorResponse('Registration is closed on this server (`registration_closed`).', { detail: 'Registration is closed on this server.', code: 'registration_closed' }),
        ...(config.signupRateLimit.max > 0 ? { 429: tooManyRequests('Too many sign-ups from this address (`rate_limited`).') } : {}),
      },
    },
  };
}

/** The route schemas of Djoser's account endpoints. */
export function accountRouteSchemas(config: Config) {
  const clearsCookie = config.refreshCookie
    ? { headers: { 'Set-Cookie': { type: 'string', description: 'Clears the refresh cookie (Max-Age=0) on /api/token/refresh and /api/token/blacklist.' } } }
    : {};
  return {
    currentUser: {
      summary: 'The caller (Djoser)',
      description: "Djoser's `users/me/`: the same body as GET /api/me/.",
      tags: ['account'],
      operationId: 'getCurrentUser',
      security: BEARER,
      response: CURRENT_USER,
    },
    deleteAccount: {
      summary: 'Close the caller\'s account',
      description: 'Deactivates the account (kept for the audit trail) and ends every login. Needs the current password.',
      tags: ['account'],
      operationId: 'deleteCurrentUser',
      security: BEARER,
      consumes: CONSUMES,
      body: DELETE_ACCOUNT_BODY,
      response: { 204: { description: 'The account is closed.', type: 'null', ...clearsCookie }, ...FIELD_ERRORS, 401: UNAUTHORIZED },
    },
    setPassword: {
      summary: 'Change the caller\'s password',
      description: "Djoser's `set_password`: every other login ends at once; the one that asked keeps working.",
      tags: ['account'],
      operationId: 'setPassword',
      security: BEARER,
      consumes: CONSUMES,
      body: SET_PASSWORD_BODY,
      response: { 204: { description: 'The password is changed.', type: 'null' }, ...FIELD_ERRORS, 401: UNAUTHORIZED },
    },
  };
}
