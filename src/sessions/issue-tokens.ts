import type { RefreshTokenRecord, User } from '../store/store.js';
import { buildClaims, newJti, type TokenType } from '../tokens/claims.js';
import { signToken } from '../tokens/sign-token.js';
import type { SessionContext } from './session-context.js';

/** A refresh token's record, before it is stored. */
export function newRefreshRecord(ctx: SessionContext, userId: number, familyId: string, now: number): RefreshTokenRecord {
  return {
    jti: newJti(ctx.randomUUID),
    familyId,
    userId,
    issuedAt: now,
    expiresAt: now + ctx.config.refreshTokenLifetime * 1000,
  };
}

/** Signs a token of `type` for `user` in family `familyId`. */
export function signFor(ctx: SessionContext, type: TokenType, user: Pick<User, 'id' | 'customClaims'>, familyId: string, jti: string, now: number): string {
  const { config } = ctx;
  return signToken(ctx.keys(), buildClaims({
    type,
    userId: user.id,
    familyId,
    jti,
    now: Math.floor(now / 1000),
    lifetimeSeconds: type === 'access' ? config.accessTokenLifetime : config.refreshTokenLifetime,
    issuer: config.issuer,
    audience: config.audience,
    custom: user.customClaims,
  }));
}
