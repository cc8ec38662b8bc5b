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
import { requireStrings } from '../read-fields.js';
import { checkLoginCsrf, refreshTokenOf, setRefreshCookie } from '../refresh-cookie.js';
import { requireAccessToken } from '../require-access-token.js';

/** simplejwt's token endpoints, plus logout-everywhere. */
export function tokenRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { config } = ctx;

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
  app.post('/api/token/', { ...(loginLimit ? { preHandler: loginLimit } : {}) }, async (request, reply) => {
    checkLoginCsrf(request, config);
    const { username, password } = requireStrings(request.body, ['username', 'password']);
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

  app.post('/api/token/refresh/', async (request, reply) => {
    try {
      const pair = await rotateRefreshToken(ctx.sessions, refreshTokenOf(request, config), clientInfo(request));
      countRefresh('success');
      return sendPair(reply, pair);
    } catch (error) {
      if (isGatehouseError(error) && error.status === 401) countRefresh(error.cause === REUSE_DETECTED ? 'reused' : 'failure');
      throw error;
    }
  });

  app.post('/api/token/verify/', async (request) => {
    const { token } = requireStrings(request.body, ['token']);
    await checkToken(ctx.sessions, token);
    return {};
  });

  app.post('/api/token/blacklist/', async (request, reply) => {
    await blacklistRefreshToken(ctx.sessions, refreshTokenOf(request, config), clientInfo(request));
    if (config.refreshCookie) setRefreshCookie(reply, undefined, 0);
    return reply.send({});
  });

  app.post('/api/token/logout-all/', async (request, reply) => {
    const { user } = await requireAccessToken(ctx.sessions, request);
    await revokeAllSessions(ctx.sessions, user, clientInfo(request));
    if (config.refreshCookie) setRefreshCookie(reply, undefined, 0);
    return reply.send({});
  });
}
