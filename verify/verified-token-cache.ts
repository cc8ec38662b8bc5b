/**
 * A bounded LRU of verified claim sets, so a repeated token skips decoding and the signature
 * check. A hit needs the exact same token; entries are found by its signature segment, a fifth of
 * the token to hash per lookup. Entries carry no verdict on time: claims are re-checked on every
 * hit, and an entry is dropped once its `exp` has passed.
 */
export class VerifiedTokenCache<T extends { readonly exp: number }> {
  readonly #entries = new Map<string, { readonly token: string; readonly claims: T }>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get(token: string, now: number, leeway: number): T | undefined {
    const key = signatureSegment(token);
    const hit = this.#entries.get(key);
    if (hit === undefined || hit.token !== token) return undefined;
    this.#entries.delete(key);
    if (now - leeway >= hit.claims.exp) return undefined;
    this.#entries.set(key, hit); // most recently used goes last
    return hit.claims;
  }

  set(token: string, claims: T): void {
    const key = signatureSegment(token);
    this.#entries.delete(key);
    this.#entries.set(key, { token, claims });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** What follows the last dot (the whole string if there is none). */
function signatureSegment(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1);
}
