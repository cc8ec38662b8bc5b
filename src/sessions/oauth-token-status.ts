import { isGatehouseError } from '../errors.js';
import type { TokenClaims } from '../tokens/claims.js';
import { readToken } from './read-token.js';
import type { SessionContext } from './session-context.js';

async function claimsOrUndefined(ctx: SessionContext, token: string): Promise<TokenClaims | undefined> {
  try {
    return await readToken(ctx, token, undefined);
  } catch (error) {
    if (isGatehouseError(error)) return undefined;
    throw error;
  }
}

/**
 * RFC 7009 revocation: a valid access or refresh token ends its whole login. Invalid or unknown
 * tokens are ignored, as the RFC asks (the answer is the same either way).
 */
export async function revokeAnyToken(ctx: SessionContext, token: string): Promise<void> {
  const claims = await claimsOrUndefined(ctx, token);
  if (claims !== undefined) await ctx.store.revokeFamily(claims.sid, ctx.clock());
}

/** RFC 7662 introspection: the claims of an active token, or `{active: false}`. */
export async function introspectToken(ctx: SessionContext, token: string): Promise<Record<string, unknown>> {
  const claims = await claimsOrUndefined(ctx, token);
  if (claims === undefined) return { active: false };
  const now = ctx.clock();
  const state = await ctx.store.authState(claims.user_id, claims.sid, now);
  if (state === undefined || !state.user.isActive || !state.familyActive) return { active: false };
  if (claims.token_type === 'refresh' && (await ctx.store.refreshTokenState(claims.jti, now)) !== 'active') return { active: false };
  return {
    active: true,
    token_type: claims.token_type === 'access' ? 'access_token' : 'refresh_token',
    sub: claims.sub,
    user_id: claims.user_id,
    username: state.user.username,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    ...(claims.iss === undefined ? {} : { iss: claims.iss }),
    ...(claims.aud === undefined ? {} : { aud: claims.aud }),
  };
}
