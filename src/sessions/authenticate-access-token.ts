import { GatehouseError } from '../errors.js';
import type { AuthState, User } from '../store/store.js';
import type { TokenClaims } from '../tokens/claims.js';
import { readToken, readTokenNow } from './read-token.js';
import { BLACKLISTED } from './rotate-refresh-token.js';
import type { SessionContext } from './session-context.js';

export interface Authenticated {
  readonly user: User;
  readonly claims: TokenClaims;
}

/** The session checks after the token's own: the user exists and is active, the login is live. */
function checkAuthState(state: AuthState | undefined, claims: TokenClaims): Authenticated {
  if (state === undefined) throw new GatehouseError('user_not_found', 'User not found');
  if (!state.user.isActive) throw new GatehouseError('user_inactive', 'User is inactive');
  if (!state.familyActive) throw new GatehouseError('token_not_valid', BLACKLISTED);
  return { user: state.user, claims };
}

/**
 * Checks an access token for a protected call: signature and claims (cached per token), then,
 * in one store round trip, that the user is still active and the login was not revoked.
 */
export async function authenticateAccessToken(ctx: SessionContext, token: string): Promise<Authenticated> {
  const claims = readTokenNow(ctx, token, 'access');
  return checkAuthState(await ctx.store.authState(claims.user_id, claims.sid, ctx.clock()), claims);
}

/**
 * {@link authenticateAccessToken} answered synchronously, when the store can tell the session's
 * state without a round trip (see Store.authStateNow); `undefined` when it cannot, and for every
 * refusal, so that the caller goes the long way and gives the full answer.
 */
export function authenticateNow(ctx: SessionContext, token: string): Authenticated | undefined {
  if (ctx.store.authStateNow === undefined) return undefined;
  try {
    const claims = readTokenNow(ctx, token, 'access');
    return checkAuthState(ctx.store.authStateNow(claims.user_id, claims.sid), claims);
  } catch {
    return undefined;
  }
}

/**
 * simplejwt's token verify: any token type; a refresh token must not be blacklisted, and an
 * access token's login must still be live.
 */
export async function checkToken(ctx: SessionContext, token: string): Promise<void> {
  const claims = await readToken(ctx, token, undefined);
  if (claims.token_type === 'access') {
    const state = await ctx.store.authState(claims.user_id, claims.sid, ctx.clock());
    if (state === undefined || !state.user.isActive) throw new GatehouseError('token_not_valid', 'Token is invalid or expired');
    if (!state.familyActive) throw new GatehouseError('token_not_valid', BLACKLISTED);
    return;
  }
  const state = await ctx.store.refreshTokenState(claims.jti, ctx.clock());
  if (state === 'used' || state === 'revoked') throw new GatehouseError('token_not_valid', BLACKLISTED);
  if (state !== 'active') throw new GatehouseError('token_not_valid', 'Token is invalid or expired');
}
