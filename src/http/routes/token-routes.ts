import type { FastifyInstance, FastifyReply } from 'fastify';
import { countLogin, countRefresh } from '../../metrics/metrics.js';
import { isGatehouseError } from '../../errors.js';
import { blacklistRefreshToken, revokeAllSessions } from '../../sessions/blacklist-refresh-token.js';
import { checkToken } from '../../sessions/authenticate-access-token.js';
import { REUSE_DETECTED, rotateRefreshToken } from '../../sessions/rotate-refresh-token.js';
import type { TokenPair } from '../../sessions/session-context.js';
import { startSession } from '../../sessions/start-session.js';
import { authenticateUser } from '../../users/authenticate-user.js';
import type { AppContext } from '../app-context.js';
import { clientInfo } from '../client-info.js';
import { loginGuard } from '../login-guard.js';
import { limitByAddressAndUsername } from '../rate-limits.js';
import { loginCsrfCheck, refreshTokenOf, setRefreshCookie, type RefreshBody } from '../refresh-cookie.js';
import type { Validated } from '../request-schema.js';
import { accessTokenCheck } from '../require-access-token.js';
import { tokenRouteSchemas, type LOGIN_BODY, type VERIFY_BODY } from '../schemas/token-schemas.js';

/** simplejwt's token endpoints, plus logout-everywhere. */
export function tokenRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { config } = ctx;
  const schemas = tokenRouteSchemas(config);

  /** In cookie mode the refresh token goes into the cookie, never into the body. */
  function sendPair(reply: FastifyReply, pair: TokenPair): FastifyReply {
    if (!config.refreshCookie || pair.refresh === undefined) return reply.send(pair);
    setRefreshCookie(reply, pair.refresh, config.refreshTokenLifetime);
    return reply.send({ access: pair.access });
  }

  const loginLimit = limitByAddressAndUsername(app, config.loginRateLimit, 'login', (request, username) =>
    ctx.sessions.audit.record({ event: 'login_failed', username, reason: 'rate_limited', client: clientInfo(request) }),
  );
  const guard = loginGuard({
    counters: ctx.counters,
    account: config.loginAccountLimit,
    address: config.loginAddressLimit,
    onRefused: (request, username) => ctx.sessions.audit.record({ event: 'login_failed', username, reason: 'rate_limited', client: clientInfo(request) }),
  });
  // The limit, then the CSRF check, before the fields are read (as DRF throttles first).
  const beforeLogin = [loginLimit, loginCsrfCheck(config)].filter((hook) => hook !== undefined);
  app.post<{ Body: Validated<typeof LOGIN_BODY> }>('/api/token/', { schema: schemas.login, preValidation: beforeLogin }, async (request, reply) => {
    const { username, password } = request.body;
    await guard.check(request, reply, username);
    let pair: TokenPair;
    try {
      const client = clientInfo(request);
      pair = await startSession(ctx.sessions, await authenticateUser(ctx.users, username, password, client), client);
    } catch (error) {
      if (isGatehouseError(error) && error.code === 'no_active_account') {
        countLogin('failure');
        await guard.failed(request, username);
      }
      throw error;
    }
    await guard.succeeded(request, reply, username);
    countLogin('success');
    return sendPair(reply, pair);
  });

  app.post<{ Body: RefreshBody }>('/api/token/refresh/', { schema: schemas.refresh }, async (request, reply) => {
    try {
      const pair = await rotateRefreshToken(ctx.sessions, refreshTokenOf(request, config), clientInfo(request));
      countRefresh('success');
      return sendPair(reply, pair);
    } catch (error) {
      if (isGatehouseError(error) && error.status === 401) countRefresh(error.cause === REUSE_DETECTED ? 'reused' : 'failure');
      throw error;
    }
  });

  app.post<{ Body: Validated<typeof VERIFY_BODY> }>('/api/token/verify/', { schema: schemas.verify }, async (request) => {
    await checkToken(ctx.sessions, request.body.token);
    return {};
  });

  app.post<{ Body: RefreshBody }>('/api/token/blacklist/', { schema: schemas.blacklist }, async (request, reply) => {
    await blacklistRefreshToken(ctx.sessions, refreshTokenOf(request, config), clientInfo(request));
    if (config.refreshCookie) setRefreshCookie(reply, undefined, 0);
    return reply.send({});
  });

  const auth = accessTokenCheck(ctx.sessions);
  app.post('/api/token/logout-all/', { schema: schemas.logoutAll, preValidation: auth.preValidation }, async (request, reply) => {
    const { user } = auth.of(request);
    await revokeAllSessions(ctx.sessions, user, clientInfo(request));
    if (config.refreshCookie) setRefreshCookie(reply, undefined, 0);
    return reply.send({});
  });
}
