import type { FastifyInstance } from 'fastify';
import { endOtherSessions, endSession, listSessions } from '../../sessions/manage-sessions.js';
import { changeOwnPassword, deleteOwnAccount } from '../../users/manage-account.js';
import type { AppContext } from '../app-context.js';
import { clientInfo } from '../client-info.js';
import { requireStrings } from '../read-fields.js';
import { setRefreshCookie } from '../refresh-cookie.js';
import { requireAccessToken } from '../require-access-token.js';
import { sessionJson } from '../session-json.js';
import { ME_CONTENT_TYPE, userView } from '../user-view.js';

/**
 * Self-service, with the caller's access token: Djoser's account endpoints (the usual companion
 * of simplejwt) and the caller's own sessions (logins).
 */
export function accountRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { sessions, users, config } = ctx;

  app.get('/api/users/me/', async (request, reply) => {
    const { user } = await requireAccessToken(sessions, request);
    return reply.type(ME_CONTENT_TYPE).send(userView(user).json);
  });

  app.post('/api/users/set_password/', async (request, reply) => {
    const { user, claims } = await requireAccessToken(sessions, request);
    const fields = requireStrings(request.body, ['current_password', 'new_password']);
    await changeOwnPassword(users, user.id, claims.sid, fields.current_password, fields.new_password, clientInfo(request));
    return reply.code(204).send();
  });

  app.delete('/api/users/me/', async (request, reply) => {
    const { user } = await requireAccessToken(sessions, request);
    const { current_password: current } = requireStrings(request.body, ['current_password']);
    await deleteOwnAccount(users, user.id, current, clientInfo(request));
    if (config.refreshCookie) setRefreshCookie(reply, undefined, 0);
    return reply.code(204).send();
  });

  app.get('/api/sessions/', async (request) => {
    const { user, claims } = await requireAccessToken(sessions, request);
    return (await listSessions(sessions, user.id)).map((session) => sessionJson(session, claims.sid));
  });

  app.delete<{ Params: { id: string } }>('/api/sessions/:id/', async (request, reply) => {
    const { user } = await requireAccessToken(sessions, request);
    await endSession(sessions, request.params.id, { ownerId: user.id, client: clientInfo(request) });
    return reply.code(204).send();
  });

  app.post('/api/sessions/revoke-others/', async (request, reply) => {
    const { user, claims } = await requireAccessToken(sessions, request);
    await endOtherSessions(sessions, user, claims.sid, clientInfo(request));
    return reply.code(204).send();
  });
}
