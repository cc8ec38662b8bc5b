/**
 * A bounded LRU of verified claim sets keyed by the whole token string, so a repeated token skips
 * decoding and the signature check. Entries carry no verdict on time: claims are re-checked on
 * every hit, and an entry is dropped once its `exp` has passed.
 */
export class VerifiedTokenCache<T extends { readonly exp: number }> {
  readonly #entries = new Map<string, T>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get(token: string, now: number, leeway: number): T | undefined {
    const hit = this.#entries.get(token);
    if (hit === undefined) return undefined;
    this.#entries.delete(token);
    if (now - leeway >= hit.exp) return undefined;
    this.#entries.set(token, hit); // most recently used goes last
    return hit;
  }

  set(token: string, claims: T): void {
    this.#entries.delete(token);
    this.#entries.set(token, claims);
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
