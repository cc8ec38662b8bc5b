import type { TokenClaims, TokenType } from '../tokens/claims.js';
import { verifyToken, verifyTokenNow, type VerifyOptions } from '../tokens/verify-token.js';
import type { SessionContext } from './session-context.js';

function verifyOptions(ctx: SessionContext, type: TokenType | undefined): VerifyOptions {
  const { config } = ctx;
  return {
    ring: ctx.keys(),
    type,
    now: ctx.clock() / 1000,
    leeway: config.leeway,
    issuer: config.issuer,
    audience: config.audience,
    cache: ctx.cache,
  };
}

/** Verifies a token's signature and claims with the current keys and settings. */
export function readToken(ctx: SessionContext, token: string, type: TokenType | undefined): Promise<TokenClaims> {
  return verifyToken(token, verifyOptions(ctx, type));
}

/** {@link readToken}, synchronously: throws `GatehouseError('token_not_valid')` instead of rejecting. */
export function readTokenNow(ctx: SessionContext, token: string, type: TokenType | undefined): TokenClaims {
  return verifyTokenNow(token, verifyOptions(ctx, type));
}
