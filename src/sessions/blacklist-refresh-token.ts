import { GatehouseError } from '../errors.js';
import type { ClientInfo, User } from '../store/store.js';
import { readToken } from './read-token.js';
import { BLACKLISTED } from './rotate-refresh-token.js';
import type { SessionContext } from './session-context.js';

/**
 * Logs out: blacklists a refresh token and revokes its login (family), which also ends the
 * access tokens issued to that login. A token already blacklisted or rotated is refused, as
 * simplejwt refuses it.
 */
export async function blacklistRefreshToken(ctx: SessionContext, token: string, client: ClientInfo): Promise<void> {
  const claims = await readToken(ctx, token, 'refresh');
  const before = await ctx.store.revokeRefreshToken(claims.jti, ctx.clock());
  if (before === 'used' || before === 'revoked') throw new GatehouseError('token_not_valid', BLACKLISTED);
  if (before !== 'active') throw new GatehouseError('token_not_valid', 'Token is invalid or expired');
  ctx.audit.record({ event: 'logout', userId: claims.user_id, sessionId: claims.sid, client });
}

/** Logs out everywhere: revokes every login of the user. */
export async function revokeAllSessions(ctx: SessionContext, user: User, client: ClientInfo): Promise<void> {
  await ctx.store.revokeAllForUser(user.id, ctx.clock());
  ctx.audit.record({ event: 'logout_all', userId: user.id, username: user.username, client });
}
