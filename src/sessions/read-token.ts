import type { TokenClaims, TokenType } from '../tokens/claims.js';
import { verifyToken } from '../tokens/verify-token.js';
import type { SessionContext } from './session-context.js';

/** Verifies a token's signature and claims with the current keys and settings. */
export function readToken(ctx: SessionContext, token: string, type: TokenType | undefined): Promise<TokenClaims> {
  const { config } = ctx;
  return verifyToken(token, {
    ring: ctx.keys(),
    type,
    now: ctx.clock() / 1000,
    leeway: config.leeway,
    issuer: config.issuer,
    audience: config.audience,
    cache: ctx.cache,
  });
}
