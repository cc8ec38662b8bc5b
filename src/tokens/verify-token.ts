import { errors as joseErrors, jwtVerify } from 'jose';
import { GatehouseError } from '../errors.js';
import type { TokenClaims, TokenType } from './claims.js';
import type { KeyRing } from './key-ring.js';
import type { VerifiedTokenCache } from './verified-token-cache.js';

/** Longest token accepted; longer ones are refused before any decoding. */
export const MAX_TOKEN_LENGTH = 8192;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const FORBIDDEN_HEADERS = ['jku', 'jwk', 'x5u', 'x5c', 'crit', 'b64'] as const;

export interface VerifyOptions {
  readonly ring: KeyRing;
  readonly type: TokenType | undefined;
  /** Epoch seconds. */
  readonly now: number;
  readonly leeway: number;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  readonly cache?: VerifiedTokenCache | undefined;
}

function invalid(message = 'Token is invalid or expired'): GatehouseError {
  return new GatehouseError('token_not_valid', message);
}

function readHeader(token: string): Record<string, unknown> {
  const [encoded = ''] = token.split('.', 1);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw invalid();
  return header as Record<string, unknown>;
}

function narrowClaims(payload: Record<string, unknown>, type: TokenType | undefined): TokenClaims {
  const { token_type: tokenType, jti, user_id: userId, sid, exp, iat } = payload;
  if (typeof tokenType !== 'string' || (type !== undefined && tokenType !== type)) throw invalid('Token has wrong type');
  if (tokenType !== 'access' && tokenType !== 'refresh') throw invalid('Token has wrong type');
  if (typeof jti !== 'string' || jti === '') throw invalid('Token has no id');
  if (typeof userId !== 'number' || !Number.isSafeInteger(userId) || userId < 1) throw invalid('Token contained no recognizable user identification');
  if (typeof sid !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') throw invalid();
  return payload as TokenClaims;
}

/**
 * Checks a token's signature with the key its exact `kid` names, using only the algorithm bound
 * to that key, then its time claims, issuer, audience and type. Throws
 * `GatehouseError('token_not_valid')`; messages never contain the token.
 *
 * @example const claims = await verifyToken(token, { ring, type: 'access', now: Date.now() / 1000, leeway: 0 });
 */
export async function verifyToken(token: string, options: VerifyOptions): Promise<TokenClaims> {
  const { cache, now, leeway, type } = options;
  if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) throw invalid();
  const cached = cache?.get(token, now, leeway);
  if (cached !== undefined) {
    if (type !== undefined && cached.token_type !== type) throw invalid('Token has wrong type');
    return cached;
  }

  const header = readHeader(token);
  if (FORBIDDEN_HEADERS.some((name) => name in header)) throw invalid();
  const kid = header.kid;
  const key = typeof kid === 'string' ? options.ring.byKid.get(kid) : undefined;
  if (key === undefined || header.alg !== key.algorithm) throw invalid();

  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key.verifyKey, {
      algorithms: [key.algorithm],
      currentDate: new Date(now * 1000),
      clockTolerance: leeway,
      requiredClaims: ['exp', 'iat', 'jti'],
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
      ...(options.audience === undefined ? {} : { audience: options.audience }),
    }));
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) throw invalid();
    throw error;
  }
  const claims = narrowClaims(payload, type);
  cache?.set(token, claims);
  return claims;
}
