import { createSecretKey, type KeyObject } from 'node:crypto';
import type { JwsAlgorithm } from '../../verify/algorithms.js';
import type { BoundKey } from '../../verify/bind-keys.js';
import { VerifyError } from '../../verify/errors.js';
import { parseStrictJsonText } from '../../verify/parse-strict-json.js';
import { checkNodeSignature, parseCompactJws } from '../../verify/verify-signature.js';
import { GatehouseError } from '../errors.js';
import type { TokenClaims, TokenType } from './claims.js';
import type { KeyRing, RingKey } from './key-ring.js';
import type { VerifiedTokenCache } from './verified-token-cache.js';

/** Longest token accepted; longer ones are refused before any decoding. */
export const MAX_TOKEN_LENGTH = 8192;

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

// The JWS checks are gatehouse/verify's (strict parsing, exact kid, signature by the algorithm
// bound to the key, conformance-tested); these remember its per-ring inputs.
const ringAlgorithms = new WeakMap<KeyRing, ReadonlySet<JwsAlgorithm>>();
const boundKeys = new WeakMap<RingKey, BoundKey>();

function algorithmsOf(ring: KeyRing): ReadonlySet<JwsAlgorithm> {
  let algorithms = ringAlgorithms.get(ring);
  if (algorithms === undefined) {
    algorithms = new Set([...ring.byKid.values()].map((key) => key.algorithm));
    ringAlgorithms.set(ring, algorithms);
  }
  return algorithms;
}

function boundKey(key: RingKey): BoundKey {
  let bound = boundKeys.get(key);
  if (bound === undefined) {
    const material = key.verifyKey instanceof Uint8Array ? createSecretKey(key.verifyKey) : (key.verifyKey as KeyObject);
    bound = Object.freeze({ kid: key.kid, alg: key.algorithm, key: material });
    boundKeys.set(key, bound);
  }
  return bound;
}

function checkTimeAndParties(payload: Record<string, unknown>, options: VerifyOptions): void {
  const { exp, nbf, iat, iss, aud } = payload;
  const { now, leeway } = options;
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp + leeway <= now) throw invalid();
  // PyJWT (under simplejwt) refuses an iat in the future too.
  if (typeof iat !== 'number' || !Number.isFinite(iat) || iat - leeway > now) throw invalid();
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf - leeway > now)) throw invalid();
  if (options.issuer !== undefined && iss !== options.issuer) throw invalid();
  if (options.audience !== undefined) {
    const audiences = Array.isArray(aud) ? aud : [aud];
    if (!audiences.includes(options.audience)) throw invalid();
  }
}

function narrowClaims(payload: Record<string, unknown>, type: TokenType | undefined): TokenClaims {
  const { token_type: tokenType, jti, user_id: userId, sid } = payload;
  if (typeof tokenType !== 'string' || (type !== undefined && tokenType !== type)) throw invalid('Token has wrong type');
  if (tokenType !== 'access' && tokenType !== 'refresh') throw invalid('Token has wrong type');
  if (typeof jti !== 'string' || jti === '') throw invalid('Token has no id');
  if (typeof userId !== 'number' || !Number.isSafeInteger(userId) || userId < 1) throw invalid('Token contained no recognizable user identification');
  if (typeof sid !== 'string') throw invalid();
  return payload as TokenClaims;
}

/**
 * Checks a token's signature with the key its exact `kid` names, using only the algorithm bound
 * to that key, then its time claims (`exp` not past, `nbf` and `iat` not in the future, with
 * leeway), issuer, audience and type. Throws
 * `GatehouseError('token_not_valid')`; messages never contain the token.
 *
 * Synchronous (node:crypto's checks are), so a request answered without a round trip needs no
 * promise.
 *
 * @example const claims = verifyTokenNow(token, { ring, type: 'access', now: Date.now() / 1000, leeway: 0 });
 */
export function verifyTokenNow(token: string, options: VerifyOptions): TokenClaims {
  const { cache, now, leeway, type, ring } = options;
  if (token.length > MAX_TOKEN_LENGTH) throw invalid();
  const cached = cache?.get(token, now, leeway);
  if (cached !== undefined) {
    if (type !== undefined && cached.token_type !== type) throw invalid('Token has wrong type');
    return cached;
  }

  let payload: Record<string, unknown> | undefined;
  try {
    const parsed = parseCompactJws(token, { maxTokenLength: MAX_TOKEN_LENGTH, algorithms: algorithmsOf(ring) });
    const key = parsed.kid === undefined ? undefined : ring.byKid.get(parsed.kid);
    if (key === undefined || key.algorithm !== parsed.alg) throw invalid();
    checkNodeSignature(parsed, boundKey(key));
    payload = parsed.payloadText === undefined ? undefined : parseStrictJsonText(parsed.payloadText);
  } catch (error) {
    if (error instanceof VerifyError) throw invalid();
    throw error;
  }
  if (payload === undefined) throw invalid();
  checkTimeAndParties(payload, options);
  const claims = narrowClaims(payload, type);
  cache?.set(token, claims);
  return claims;
}

/**
 * {@link verifyTokenNow}, failing as a rejected promise rather than a throw.
 *
 * @example const claims = await verifyToken(token, { ring, type: 'access', now: Date.now() / 1000, leeway: 0 });
 */
export async function verifyToken(token: string, options: VerifyOptions): Promise<TokenClaims> {
  return verifyTokenNow(token, options);
}
