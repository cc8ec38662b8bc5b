import type { FastifyInstance } from 'fastify';
import { endOtherSessions, endSession, listSessions } from '../../sessions/manage-sessions.js';
import { changeOwnPassword, deleteOwnAccount } from '../../users/manage-account.js';
import type { AppContext } from '../app-context.js';
import { clientInfo } from '../client-info.js';
import { setRefreshCookie } from '../refresh-cookie.js';
import type { Validated } from '../request-schema.js';
import { accessTokenCheck } from '../require-access-token.js';
import { SESSION_ROUTE_SCHEMAS, type SESSION_ID } from '../schemas/session-schemas.js';
import { accountRouteSchemas, type DELETE_ACCOUNT_BODY, type SET_PASSWORD_BODY } from '../schemas/user-schemas.js';
import { sessionJson } from '../session-json.js';
import { ME_CONTENT_TYPE, userView } from '../user-view.js';

/**
 * Self-service, with the caller's access token: Djoser's account endpoints (the usual companion
 * of simplejwt) and the caller's own sessions (logins).
 */
export function accountRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { sessions, users, config } = ctx;
  const schemas = accountRouteSchemas(config);
  const auth = accessTokenCheck(sessions);
  const { preValidation } = auth;

  app.get('/api/users/me/', { schema: schemas.currentUser, preValidation }, async (request, reply) => {
    return reply.type(ME_CONTENT_TYPE).send(userView(auth.of(request).user).json);
  });

  app.post<{ Body: Validated<typeof SET_PASSWORD_BODY> }>('/api/users/set_password/', { schema: schemas.setPassword, preValidation }, async (request, reply) => {
    const { user, claims } = auth.of(request);
    const { current_password: current, new_password: next } = request.body;
    await changeOwnPassword(users, user.id, claims.sid, current, next, clientInfo(request));
    return reply.code(204).send();
  });

  app.delete<{ Body: Validated<typeof DELETE_ACCOUNT_BODY> }>('/api/users/me/', { schema: schemas.deleteAccount, preValidation }, async (request, reply) => {
    await deleteOwnAccount(users, auth.of(request).user.id, request.body.current_password, clientInfo(request));
    if (config.refreshCookie) setRefreshCookie(reply, undefined, 0);
    return reply.code(204).send();
  });

  app.get('/api/sessions/', { schema: SESSION_ROUTE_SCHEMAS.list, preValidation }, async (request) => {
    const { user, claims } = auth.of(request);
    return (await listSessions(sessions, user.id)).map((session) => sessionJson(session, claims.sid));
  });

  app.delete<{ Params: Validated<typeof SESSION_ID> }>('/api/sessions/:id/', { schema: SESSION_ROUTE_SCHEMAS.end, preValidation }, async (request, reply) => {
    await endSession(sessions, request.params.id, { ownerId: auth.of(request).user.id, client: clientInfo(request) });
    return reply.code(204).send();
  });

  app.post('/api/sessions/revoke-others/', { schema: SESSION_ROUTE_SCHEMAS.endOthers, preValidation }, async (request, reply) => {
    const { user, claims } = auth.of(request);
    await endOtherSessions(sessions, user, claims.sid, clientInfo(request));
    return reply.code(204).send();
  });
}
