import type { TokenClaims } from './claims.js';

/**
 * Remembers tokens whose signature and claims already checked out, so the hot path skips the
 * (async WebCrypto) signature check. Keyed by the whole token; an entry is only returned while
 * the token is unexpired. Revocation is not cached: callers still check the session.
 * Bounded: the oldest entries go first.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, TokenClaims>();
  readonly #maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.#maxEntries = maxEntries;
  }

  /** The cached claims if `token` is known and `exp` (plus leeway) is still ahead of `now` (seconds). */
  get(token: string, now: number, leeway: number): TokenClaims | undefined {
    const claims = this.#entries.get(token);
    if (claims === undefined) return undefined;
    if (claims.exp + leeway <= now) {
      this.#entries.delete(token);
      return undefined;
    }
    return claims;
  }

  set(token: string, claims: TokenClaims): void {
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, claims);
  }

  get size(): number {
    return this.#entries.size;
  }
}
