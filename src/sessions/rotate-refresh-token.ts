import { GatehouseError } from '../errors.js';
import type { ClientInfo, User } from '../store/store.js';
import { newJti } from '../tokens/claims.js';
import { newRefreshRecord, signFor } from './issue-tokens.js';
import { readToken } from './read-token.js';
import type { SessionContext, TokenPair } from './session-context.js';

export const BLACKLISTED = 'Token is blacklisted';

/** The internal cause of the 401 for a replayed refresh token (its family was just revoked). */
export const REUSE_DETECTED = 'refresh_token_reused';

/** simplejwt 5's answer when the token's user is gone or inactive. */
function noActiveAccount(): GatehouseError {
  return new GatehouseError('no_active_account', 'No active account found for the given token.');
}

async function activeUser(ctx: SessionContext, userId: number): Promise<User> {
  const user = await ctx.store.findUserById(userId);
  if (user === undefined || !user.isActive) throw noActiveAccount();
  return user;
}

/**
 * Trades a refresh token for a new access token and, with rotation on, a new refresh token,
 * blacklisting the one presented. Presenting a refresh token that was already rotated is taken
 * as theft: its whole family (the login) is revoked, and the answer is 401 `token_not_valid`.
 * Under concurrency exactly one presentation of a token rotates it; within
 * GATEHOUSE_ROTATION_GRACE of that, the others (other tabs, retries) get the same successor.
 */
export async function rotateRefreshToken(ctx: SessionContext, token: string, client: ClientInfo): Promise<TokenPair> {
  const claims = await readToken(ctx, token, 'refresh');
  const user = await activeUser(ctx, claims.user_id);
  const now = ctx.clock();
  const access = () => signFor(ctx, 'access', user, claims.sid, newJti(ctx.randomUUID), now);

  const audited = { userId: user.id, username: user.username, sessionId: claims.sid, client } as const;
  if (!ctx.config.rotateRefreshTokens) {
    const state = await ctx.store.refreshTokenState(claims.jti, now);
    if (state !== 'active') throw new GatehouseError('token_not_valid', state === 'expired' || state === 'unknown' ? 'Token is invalid or expired' : BLACKLISTED);
    ctx.audit.record({ event: 'token_refreshed', ...audited });
    return { access: access() };
  }

  const successor = newRefreshRecord(ctx, user.id, claims.sid, now);
  const result = await ctx.store.consumeRefreshToken(claims.jti, successor, now, { graceMs: ctx.config.rotationGrace * 1000, client });
  switch (result.outcome) {
    case 'rotated': {
      ctx.audit.record({ event: 'token_refreshed', ...audited });
      return { access: access(), refresh: signFor(ctx, 'refresh', user, claims.sid, successor.jti, now) };
    }
    case 'retried': {
      // The same successor, signed again with its own issue time: the same jti and expiry.
      const again = result.successor;
      ctx.audit.record({ event: 'token_refreshed', ...audited, reason: 'grace_retry' });
      return { access: access(), refresh: signFor(ctx, 'refresh', user, claims.sid, again.jti, again.issuedAt) };
    }
    case 'reused':
      ctx.audit.record({ event: 'refresh_reuse_detected', ...audited });
      throw new GatehouseError('token_not_valid', BLACKLISTED, { cause: REUSE_DETECTED });
    case 'revoked':
      throw new GatehouseError('token_not_valid', BLACKLISTED);
    case 'expired':
    case 'unknown':
      throw new GatehouseError('token_not_valid', 'Token is invalid or expired');
  }
}
