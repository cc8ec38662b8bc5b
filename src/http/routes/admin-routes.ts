import type { FastifyInstance } from 'fastify';
import { auditEventJson } from '../../audit/audit-event-json.js';
import { parseDuration } from '../../config/duration.js';
import { GatehouseError, validationError } from '../../errors.js';
import { endSession, listSessions } from '../../sessions/manage-sessions.js';
import type { User } from '../../store/store.js';
import { setActive } from '../../users/create-user.js';
import { validUsername } from '../../users/validate-credentials.js';
import type { AppContext } from '../app-context.js';
import { clientInfo } from '../client-info.js';
import type { Validated } from '../request-schema.js';
import { adminCheck } from '../require-admin.js';
import { ADMIN_ROUTE_SCHEMAS, type AUDIT_QUERY, type USER_ID, type USERS_QUERY } from '../schemas/admin-schemas.js';
import { adminUserJson, sessionJson } from '../session-json.js';

type WithId = { Params: Validated<typeof USER_ID> };

function notFound(): GatehouseError {
  return new GatehouseError('not_found', 'Not found.');
}

/** `since`: an ISO 8601 time, or a duration back from now (`24h`). */
function sinceOf(text: string | undefined, now: number): number | undefined {
  if (text === undefined) return undefined;
  const seconds = parseDuration(text);
  if (seconds !== undefined) return now - seconds * 1000;
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw validationError({ since: ['Enter a valid date/time (ISO 8601) or a duration such as 24h.'] });
  return time;
}

/**
 * The admin API: users, their sessions, and the audit trail. Every call checks the caller's
 * admin flag in the database (see requireAdmin), before anything else; everyone else gets 403
 * `permission_denied`.
 */
export function adminRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { store, sessions } = ctx;
  const admin = adminCheck(ctx);
  const { preValidation } = admin;
  const schemas = ADMIN_ROUTE_SCHEMAS;

  async function userById(id: string): Promise<User> {
    const user = /^\d{1,15}$/.test(id) ? await store.findUserById(Number(id)) : undefined;
    if (user === undefined) throw notFound();
    return user;
  }

  app.get<{ Querystring: Validated<typeof USERS_QUERY> }>('/api/admin/users/', { schema: schemas.listUsers, preValidation }, async (request) => {
    const { count, users } = await store.searchUsers(request.query);
    return { count, results: users.map(adminUserJson) };
  });

  app.get<WithId>('/api/admin/users/:id/', { schema: schemas.getUser, preValidation }, async (request) => {
    return adminUserJson(await userById(request.params.id));
  });

  for (const [action, isActive] of [['deactivate', false], ['activate', true]] as const) {
    app.post<WithId>(`/api/admin/users/:id/${action}/`, { schema: schemas[action], preValidation }, async (request) => {
      const actor = admin.of(request);
      const user = await userById(request.params.id);
      await setActive(ctx.users, user, isActive, { client: clientInfo(request), actorId: actor.id, actorUsername: actor.username });
      return adminUserJson(await userById(request.params.id));
    });
  }

  app.get<WithId>('/api/admin/users/:id/sessions/', { schema: schemas.userSessions, preValidation }, async (request) => {
    const user = await userById(request.params.id);
    return (await listSessions(sessions, user.id)).map((session) => sessionJson(session, undefined));
  });

  app.delete<WithId>('/api/admin/sessions/:id/', { schema: schemas.endSession, preValidation }, async (request, reply) => {
    await endSession(sessions, request.params.id, { client: clientInfo(request), admin: admin.of(request) });
    return reply.code(204).send();
  });

  app.get<{ Querystring: Validated<typeof AUDIT_QUERY> }>('/api/admin/audit/', { schema: schemas.audit, preValidation }, async (request) => {
    const { event, user: who, limit } = request.query;
    let userId: number | undefined;
    if (who !== undefined) {
      const user = /^\d{1,15}$/.test(who) ? await store.findUserById(Number(who)) : await store.findUserByUsername(validUsername(who) ?? who);
      if (user === undefined) return { results: [] };
      userId = user.id;
    }
    const since = sinceOf(request.query.since, ctx.sessions.clock());
    const events = await store.listAuditEvents({
      ...(userId === undefined ? {} : { userId }),
      ...(event === undefined ? {} : { event }),
      ...(since === undefined ? {} : { since }),
      limit,
    });
    return { results: events.map(auditEventJson) };
  });
}
