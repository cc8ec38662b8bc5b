import { AUDIT_EVENTS } from '../../audit/audit-event-names.js';
import type { FieldsSchema } from '../request-schema.js';
import { BODYLESS_ERRORS, errorResponse, INVALID_FIELDS, NOT_FOUND, SERVER_ERRORS, UNAUTHORIZED } from './errors.js';
import { SESSION_ID, SESSION_LIST } from './session-schemas.js';
import { BEARER, json, NULLABLE_TEXT, NULLABLE_TIME, ref, TIME } from './parts.js';

const NULLABLE_ID = { type: ['integer', 'null'] } as const;

/** A user and an audit event as the admin API shows them: never a hash, token or custom claim. */
export const ADMIN_SCHEMAS = [
  {
    $id: 'AdminUser',
    type: 'object',
    description: 'A user as the admin API shows it.',
    required: ['id', 'username', 'is_active', 'is_admin', 'last_login', 'date_joined'],
    additionalProperties: false,
    properties: { id: { type: 'integer' }, username: { type: 'string' }, is_active: { type: 'boolean' }, is_admin: { type: 'boolean' }, last_login: NULLABLE_TIME, date_joined: TIME },
  },
  {
    $id: 'AuditEvent',
    type: 'object',
    description: 'One entry of the audit trail; fields an event does not have are null.',
    required: ['id', 'at', 'event', 'user_id', 'username', 'session_id', 'ip', 'user_agent', 'actor_id', 'actor_username', 'reason'],
    additionalProperties: false,
    properties: {
      id: { type: 'integer' },
      at: TIME,
      event: { type: 'string', enum: AUDIT_EVENTS },
      user_id: NULLABLE_ID,
      username: NULLABLE_TEXT,
      session_id: NULLABLE_TEXT,
      ip: NULLABLE_TEXT,
      user_agent: NULLABLE_TEXT,
      actor_id: { ...NULLABLE_ID, description: 'The admin who acted, for admin actions.' },
      actor_username: { ...NULLABLE_TEXT, description: 'The admin (or `cli`) who acted, for admin actions.' },
      reason: { ...NULLABLE_TEXT, description: "Why, where the event has a reason (a failed login's)." },
    },
  },
] as const;

const ADMIN_USER_EXAMPLE = { id: 1, username: 'alice', is_active: true, is_admin: false, last_login: null, date_joined: '2024-12-24T09:30:00.000Z' };

export const USERS_QUERY = {
  type: 'object',
  properties: {
    search: { type: 'string', description: 'Only usernames containing this text.' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    offset: { type: 'integer', minimum: 0, maximum: 1e9, default: 0 },
  },
} as const satisfies FieldsSchema;

export const AUDIT_QUERY = {
  type: 'object',
  properties: {
    event: { type: 'string', enum: AUDIT_EVENTS, errorMessage: 'Not a known audit event.', description: 'Only events of this name.' },
    user: { type: 'string', description: 'Only events about this user: an id, or a username.' },
    since: { type: 'string', description: 'Only events at or after this time: ISO 8601, or a duration back from now (`24h`, `7d`).' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
} as const satisfies FieldsSchema;

/** `{id}` of a user, in the path: digits (anything else is a 404, as an unknown id). */
export const USER_ID = { type: 'object', properties: { id: { type: 'string', description: 'The user id.' } }, required: ['id'] } as const;

const ADMIN_ERRORS = {
  401: UNAUTHORIZED,
  403: errorResponse('The caller is not an active admin (`permission_denied`).', { detail: 'You do not have permission to perform this action.', code: 'permission_denied' }),
} as const;
const ADMIN_USER = { description: 'The user.', content: json(ref('AdminUser'), ADMIN_USER_EXAMPLE) };

function adminOperation<T extends object>(operationId: string, summary: string, rest: T) {
  return { summary, tags: ['admin'], operationId, security: BEARER, ...rest };
}

/** The route schemas of the admin API. */
export const ADMIN_ROUTE_SCHEMAS = {
  listUsers: adminOperation('adminListUsers', 'Users, by id', {
    querystring: USERS_QUERY,
    response: {
      200: {
        description: 'A page of users and how many match in all.',
        content: json(
          { type: 'object', required: ['count', 'results'], additionalProperties: false, properties: { count: { type: 'integer' }, results: { type: 'array', items: ref('AdminUser') } } },
          { count: 1, results: [ADMIN_USER_EXAMPLE] },
        ),
      },
      400: INVALID_FIELDS,
      ...ADMIN_ERRORS,
      ...SERVER_ERRORS,
    },
  }),
  getUser: adminOperation('adminGetUser', 'One user', { params: USER_ID, response: { 200: ADMIN_USER, ...ADMIN_ERRORS, 404: NOT_FOUND, ...SERVER_ERRORS } }),
  deactivate: adminOperation('adminDeactivateUser', 'Deactivate a user', {
    description: 'The user can no longer log in, and every login of theirs ends.',
    params: USER_ID,
    response: { 200: ADMIN_USER, ...BODYLESS_ERRORS, ...ADMIN_ERRORS, 404: NOT_FOUND },
  }),
  activate: adminOperation('adminActivateUser', 'Activate a user', { params: USER_ID, response: { 200: ADMIN_USER, ...BODYLESS_ERRORS, ...ADMIN_ERRORS, 404: NOT_FOUND } }),
  userSessions: adminOperation('adminListUserSessions', "A user's logins", {
    params: USER_ID,
    response: { 200: { description: 'Every live login of the user.', content: json(SESSION_LIST) }, ...ADMIN_ERRORS, 404: NOT_FOUND, ...SERVER_ERRORS },
  }),
  endSession: adminOperation('adminEndSession', 'End any login', {
    params: SESSION_ID,
    response: { 204: { description: 'The login is ended.', type: 'null' }, ...BODYLESS_ERRORS, ...ADMIN_ERRORS, 404: NOT_FOUND },
  }),
  audit: adminOperation('adminListAuditEvents', 'The audit trail, newest first', {
    querystring: AUDIT_QUERY,
    response: {
      200: {
        description: 'Matching events, newest first (none when `user` names nobody).',
        content: json({ type: 'object', required: ['results'], additionalProperties: false, properties: { results: { type: 'array', items: ref('AuditEvent') } } }),
      },
      400: INVALID_FIELDS,
      ...ADMIN_ERRORS,
      ...SERVER_ERRORS,
    },
  }),
} as const;
