import { isJwsAlgorithm, type JwsAlgorithm } from './algorithms.js';
import { bindJwks, bindSecret, type KeySet } from './bind-keys.js';
import type { SignatureEngine } from './check-signature.js';
import { checkClaims, type ClaimRules, type VerifiedClaims } from './check-claims.js';
import { VerifyError } from './errors.js';
import { parseStrictJsonText } from './parse-strict-json.js';
import { RemoteKeySet } from './remote-key-set.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { checkJwsSignature, parseCompactJws, selectKey, type ParsedJws } from './verify-signature.js';

/** Options of {@link createVerifier}; exactly one of `jwksUri`, `jwks`, `secret`. */
export interface VerifierOptions {
  /** HTTPS URL of a JWK Set (plain http only for loopback hosts). */
  jwksUri?: string;
  /** A JWK Set given inline (public keys, or HMAC `oct` keys, never both). */
  jwks?: { keys: readonly unknown[] };
  /** An HMAC secret, bound to the single HS algorithm in `algorithms`. */
  secret?: string | Uint8Array;
  /** Allow-list of JWS algorithms; required. A key without `alg` takes the one that fits it. */
  algorithms: readonly string[];
  issuer?: string;
  audience?: string | readonly string[];
  /** Clock skew allowed for `exp`, `nbf` and `iat`, in seconds (default 0). */
  leeway?: number;
  /**
   * Longest token lifetime accepted, in seconds (default 86400, one day): a token whose
   * `exp − iat`, or whose `exp − now` (beyond `leeway`), exceeds it is refused with
   * `token_lifetime_too_long`. Raise it to check refresh tokens living longer than a day.
   */
  maxTokenAge?: number;
  /** Required `token_type` claim (simplejwt); `null` skips the check. Default `'access'`. */
  tokenType?: 'access' | 'refresh' | null;
  /** Longest token accepted, refused before any decoding (default 8192). */
  maxTokenLength?: number;
  /** How long a fetched JWK Set is used before refetching (default 300 s). */
  jwksCacheSeconds?: number;
  /** Least time between two fetches, also for unknown `kid`s (default 30 s). */
  jwksCooldownSeconds?: number;
  /** Cache of verified tokens until `exp` (default on, 10 000 entries). */
  cache?: boolean | { maxEntries: number };
  /** Epoch seconds; for tests. */
  clock?: () => number;
  /** `fetch` used for `jwksUri`; for tests. */
  fetch?: typeof fetch;
  /** Signature engine after the strict checks (default `'node'`; `'jose'` uses jose's compactVerify). */
  engine?: SignatureEngine;
}

/** Checks tokens; see {@link createVerifier}. */
export interface Verifier {
  /** Resolves with the frozen claims, or rejects with a {@link VerifyError}. */
  verify(token: string): Promise<VerifiedClaims>;
}

/** One day: a simplejwt refresh token's default lifetime, and far beyond an access token's. */
const DEFAULT_MAX_TOKEN_AGE = 86_400;

function optionsError(message: string): never {
  throw new VerifyError('options_invalid', message);
}

function nonNegative(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) optionsError(`${name} must be a non-negative number`);
  return value;
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) optionsError(`${name} must be a positive number`);
  return value;
}

function checkAlgorithms(value: unknown): JwsAlgorithm[] {
  if (!Array.isArray(value) || value.length === 0) optionsError('algorithms must be a non-empty array');
  for (const alg of value) {
    if (!isJwsAlgorithm(alg)) optionsError('algorithms contains an unsupported algorithm');
  }
  return [...new Set(value as JwsAlgorithm[])];
}

function checkJwksUri(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    optionsError('jwksUri is not a URL');
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) optionsError('jwksUri must be https');
  if (url.username !== '' || url.password !== '') optionsError('jwksUri must not carry credentials');
  return url.href;
}

function checkAudience(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === 'string' && a !== '')) {
    optionsError('audience must be a non-empty string or array of strings');
  }
  return Object.freeze([...list] as string[]);
}

/** Freezes a parsed claim set and every object in it (for-in, not Object.values: no array per level). */
function deepFreeze<T extends object>(value: T): T {
  Object.freeze(value);
  for (const key in value) {
    const inner: unknown = value[key];
    if (typeof inner === 'object' && inner !== null && !Object.isFrozen(inner)) deepFreeze(inner);
  }
  return value;
}

/**
 * Creates a token verifier for a resource server. Options and key material are checked now, so
 * mistakes fail at start (`options_invalid`, `key_invalid`). `verify` runs the strict JWS checks,
 * the signature with the key chosen by exact `kid` and its bound algorithm, then the claims
 * (`exp` required; `nbf` and `iat` not in the future; a lifetime within `maxTokenAge`; `iss`,
 * `aud`, `token_type`). Verified tokens are cached until `exp`.
 *
 * @example
 * const verifier = createVerifier({
 *   jwksUri: 'https://auth.example.com/.well-known/jwks.json',
 *   algorithms: ['ES256'],
 *   issuer: 'https://auth.example.com',
 * });
 * const claims = await verifier.verify(token); // throws VerifyError with a stable `code`
 * console.log(claims.user_id);
 */
export function createVerifier(options: VerifierOptions): Verifier {
  if (typeof options !== 'object' || options === null) optionsError('options must be an object');
  const sources = [options.jwksUri, options.jwks, options.secret].filter((source) => source !== undefined);
  if (sources.length !== 1) optionsError('give exactly one of jwksUri, jwks, secret');
  const algorithms = checkAlgorithms(options.algorithms);
  const allowed = new Set(algorithms);
  if (options.issuer !== undefined && (typeof options.issuer !== 'string' || options.issuer === '')) optionsError('issuer must be a non-empty string');
  const tokenType = options.tokenType === undefined ? 'access' : options.tokenType;
  if (tokenType !== null && tokenType !== 'access' && tokenType !== 'refresh') optionsError('tokenType must be access, refresh or null');
  const rules: ClaimRules = {
    issuer: options.issuer,
    audience: checkAudience(options.audience),
    leeway: nonNegative(options.leeway, 'leeway', 0),
    maxTokenAge: positive(options.maxTokenAge, 'maxTokenAge', DEFAULT_MAX_TOKEN_AGE),
    tokenType,
  };
  const maxTokenLength = nonNegative(options.maxTokenLength, 'maxTokenLength', 8192);
  const clock = options.clock ?? (() => Date.now() / 1000);
  if (typeof clock !== 'function') optionsError('clock must be a function');
  const engine = options.engine ?? 'node';
  if (engine !== 'node' && engine !== 'jose') optionsError('engine must be node or jose');
  const cacheOption = options.cache ?? true;
  const maxEntries = typeof cacheOption === 'object' ? cacheOption.maxEntries : 10_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) optionsError('cache.maxEntries must be a positive integer');
  const cache = cacheOption === false ? undefined : new VerifiedTokenCache<VerifiedClaims>(maxEntries);

  let staticKeys: KeySet | undefined;
  let remote: RemoteKeySet | undefined;
  if (options.jwksUri !== undefined) {
    if (typeof options.jwksUri !== 'string') optionsError('jwksUri must be a string');
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') optionsError('fetch is not available');
    remote = new RemoteKeySet({
      uri: checkJwksUri(options.jwksUri),
      algorithms,
      cacheSeconds: nonNegative(options.jwksCacheSeconds, 'jwksCacheSeconds', 300),
      cooldownSeconds: nonNegative(options.jwksCooldownSeconds, 'jwksCooldownSeconds', 30),
      clock,
      fetch: fetchImpl,
      onChange: () => cache?.clear(),
    });
  } else if (options.jwks !== undefined) {
    staticKeys = bindJwks(options.jwks, algorithms);
  } else {
    staticKeys = bindSecret(options.secret, algorithms);
  }

  /** Undefined when the check is already done (static keys, `node` engine), else its promise. */
  function checkSignature(parsed: ParsedJws): Promise<void> | undefined {
    if (remote === undefined) return checkJwsSignature(parsed, selectKey(parsed, staticKeys as KeySet), engine);
    return checkWithRemoteKeys(parsed, remote);
  }

  async function checkWithRemoteKeys(parsed: ParsedJws, remote: RemoteKeySet): Promise<void> {
    const keys = await remote.keys();
    const key = keys.find(parsed.kid) ?? (await remote.findAfterRefresh(parsed.kid));
    if (key === undefined) throw new VerifyError('unknown_kid', 'no key has this kid');
    await checkJwsSignature(parsed, key, engine);
  }

  const parseOptions = { maxTokenLength, algorithms: allowed };

  function claimsOf(parsed: ParsedJws, token: string, now: number): VerifiedClaims {
    const payload = parsed.payloadText === undefined ? undefined : parseStrictJsonText(parsed.payloadText);
    if (payload === undefined) throw new VerifyError('token_malformed', 'payload is not a strict JSON object');
    const claims = deepFreeze(checkClaims(payload, rules, now));
    cache?.set(token, claims);
    return claims;
  }

  /** Every check of `verify`; synchronous, unless the signature check has to wait for keys. */
  function verifyNow(token: string): VerifiedClaims | Promise<VerifiedClaims> {
    const now = clock();
    if (cache !== undefined && typeof token === 'string' && token.length <= maxTokenLength) {
      const hit = cache.get(token, now, rules.leeway);
      if (hit !== undefined) return checkClaims(hit, rules, now);
    }
    const parsed = parseCompactJws(token, parseOptions);
    const pending = checkSignature(parsed);
    return pending === undefined ? claimsOf(parsed, token, now) : pending.then(() => claimsOf(parsed, token, now));
  }

  return {
    // A plain function settling a promise, not an async one: its machinery cost ~2% of an HS256
    // check. Failures still only ever reject, never throw.
    verify(token: string): Promise<VerifiedClaims> {
      try {
        const result = verifyNow(token);
        return result instanceof Promise ? result : Promise.resolve(result);
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}
