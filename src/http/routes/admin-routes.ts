import type { FastifyInstance } from 'fastify';
import { auditEventJson } from '../../audit/audit-event-json.js';
import { isAuditEventName } from '../../audit/audit-event-names.js';
import { parseDuration } from '../../config/duration.js';
import { GatehouseError, validationError } from '../../errors.js';
import { endSession, listSessions } from '../../sessions/manage-sessions.js';
import type { User } from '../../store/store.js';
import { setActive } from '../../users/create-user.js';
import { validUsername } from '../../users/validate-credentials.js';
import type { AppContext } from '../app-context.js';
import { clientInfo } from '../client-info.js';
import { queryInteger, queryText } from '../read-query.js';
import { requireAdmin } from '../require-admin.js';
import { adminUserJson, sessionJson } from '../session-json.js';

type WithId = { Params: { id: string } };

function notFound(): GatehouseError {
  return new GatehouseError('not_found', 'Not found.');
}

/** `since`: an ISO 8601 time, or a duration back from now (`24h`). */
function sinceOf(query: unknown, now: number): number | undefined {
  const text = queryText(query, 'since');
  if (text === undefined) return undefined;
  const seconds = parseDuration(text);
  if (seconds !== undefined) return now - seconds * 1000;
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw validationError({ since: ['Enter a valid date/time (ISO 8601) or a duration such as 24h.'] });
  return time;
}

/**
 * The admin API: users, their sessions, and the audit trail. Every call checks the caller's
 * admin flag in the database (see requireAdmin); everyone else gets 403 `permission_denied`.
 */
export function adminRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { store, sessions } = ctx;

  async function userById(id: string): Promise<User> {
    const user = /^\d{1,15}$/.test(id) ? await store.findUserById(Number(id)) : undefined;
    if (user === undefined) throw notFound();
    return user;
  }

  app.get('/api/admin/users/', async (request) => {
    await requireAdmin(ctx, request);
    const { count, users } = await store.searchUsers({
      ...(queryText(request.query, 'search') === undefined ? {} : { search: queryText(request.query, 'search') as string }),
      limit: queryInteger(request.query, 'limit', 50, 1, 500),
      offset: queryInteger(request.query, 'offset', 0, 0, 1e9),
    });
    return { count, results: users.map(adminUserJson) };
  });

  app.get<WithId>('/api/admin/users/:id/', async (request) => {
    await requireAdmin(ctx, request);
    return adminUserJson(await userById(request.params.id));
  });

  for (const [action, isActive] of [['deactivate', false], ['activate', true]] as const) {
    app.post<WithId>(`/api/admin/users/:id/${action}/`, async (request) => {
      const admin = await requireAdmin(ctx, request);
      const user = await userById(request.params.id);
      await setActive(ctx.users, user, isActive, { client: clientInfo(request), actorId: admin.id, actorUsername: admin.username });
      return adminUserJson(await userById(request.params.id));
    });
  }

  app.get<WithId>('/api/admin/users/:id/sessions/', async (request) => {
    await requireAdmin(ctx, request);
    const user = await userById(request.params.id);
    return (await listSessions(sessions, user.id)).map((session) => sessionJson(session, undefined));
  });

  app.delete<WithId>('/api/admin/sessions/:id/', async (request, reply) => {
    const admin = await requireAdmin(ctx, request);
    await endSession(sessions, request.params.id, { client: clientInfo(request), admin });
    return reply.code(204).send();
  });

  app.get('/api/admin/audit/', async (request) => {
    await requireAdmin(ctx, request);
    const { query } = request;
    const event = queryText(query, 'event');
    if (event !== undefined && !isAuditEventName(event)) throw validationError({ event: ['Not a known audit event.'] });
    const who = queryText(query, 'user');
    let userId: number | undefined;
    if (who !== undefined) {
      const user = /^\d{1,15}$/.test(who) ? await store.findUserById(Number(who)) : await store.findUserByUsername(validUsername(who) ?? who);
      if (user === undefined) return { results: [] };
      userId = user.id;
    }
    const since = sinceOf(query, ctx.sessions.clock());
    const events = await store.listAuditEvents({
      ...(userId === undefined ? {} : { userId }),
      ...(event === undefined ? {} : { event }),
      ...(since === undefined ? {} : { since }),
      limit: queryInteger(query, 'limit', 100, 1, 1000),
    });
    return { results: events.map(auditEventJson) };
  });
}
