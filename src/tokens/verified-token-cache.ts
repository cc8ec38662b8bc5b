import type { TokenClaims } from './claims.js';

/**
 * Remembers tokens whose signature and claims already checked out, so the hot path skips the
 * signature check. A hit needs the exact same token; entries are found by its signature segment,
 * which is a fifth of the token to hash per lookup. An entry is only returned while the token is
 * unexpired. Revocation is not cached: callers still check the session. Bounded: the oldest
 * entries go first.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, { readonly token: string; readonly claims: TokenClaims }>();
  readonly #maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.#maxEntries = maxEntries;
  }

  /** The cached claims if `token` is known and `exp` (plus leeway) is still ahead of `now` (seconds). */
  get(token: string, now: number, leeway: number): TokenClaims | undefined {
    const key = signatureSegment(token);
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.token !== token) return undefined;
    if (entry.claims.exp + leeway <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.claims;
  }

  set(token: string, claims: TokenClaims): void {
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(signatureSegment(token), { token, claims });
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** What follows the last dot (the whole string if there is none). */
function signatureSegment(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1);
}
