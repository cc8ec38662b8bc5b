import { BODYLESS_ERRORS, NOT_FOUND, SERVER_ERRORS, UNAUTHORIZED } from './errors.js';
import { BEARER, json, NULLABLE_TEXT, ref, TIME } from './parts.js';

/** A login (a refresh family) as its owner and admins see it. */
export const SESSION_SCHEMAS = [
  {
    $id: 'Session',
    type: 'object',
    description: 'A login: one refresh token family, from one sign-in.',
    required: ['id', 'created_at', 'last_used_at', 'user_agent', 'ip', 'current'],
    additionalProperties: false,
    properties: {
      id: { type: 'string' },
      created_at: TIME,
      last_used_at: TIME,
      user_agent: NULLABLE_TEXT,
      ip: NULLABLE_TEXT,
      current: { type: 'boolean', description: "The caller's own login (always false in the admin API)." },
    },
  },
] as const;

export const SESSION_EXAMPLE = {
  id: '6f1c2a4e-8d0b-4c55-9a57-3e2f0c9b1d7a',
  created_at: '2025-01-01T12:00:00.000Z',
  last_used_at: '2025-01-01T12:30:00.000Z',
  user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
  ip: '203.0.113.7',
  current: true,
};

export const SESSION_LIST = { type: 'array', items: ref('Session') } as const;

/** `{id}` of a session, in the path. */
export const SESSION_ID = { type: 'object', properties: { id: { type: 'string', description: 'A session id from the sessions list.' } }, required: ['id'] } as const;

/** The route schemas of the caller's own sessions. */
export const SESSION_ROUTE_SCHEMAS = {
  list: {
    summary: "The caller's logins",
    tags: ['sessions'],
    operationId: 'listSessions',
    security: BEARER,
    response: { 200: { description: 'Every live login of the caller, `current` marking this one.', content: json(SESSION_LIST, [SESSION_EXAMPLE]) }, 401: UNAUTHORIZED, ...SERVER_ERRORS },
  },
  end: {
    summary: 'End one of the caller\'s logins',
    tags: ['sessions'],
    operationId: 'endSession',
    security: BEARER,
    params: SESSION_ID,
    response: { 204: { description: 'The login is ended.', type: 'null' }, ...BODYLESS_ERRORS, 401: UNAUTHORIZED, 404: NOT_FOUND },
  },
  endOthers: {
    summary: 'End every other login of the caller',
    tags: ['sessions'],
    operationId: 'endOtherSessions',
    security: BEARER,
    response: { 204: { description: 'Only this login is left.', type: 'null' }, ...BODYLESS_ERRORS, 401: UNAUTHORIZED },
  },
} as const;
