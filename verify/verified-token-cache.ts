/**
 * A bounded cache of verified claim sets, so a repeated token skips decoding and the signature
 * check. A hit needs the exact same token; entries are found by its signature segment, a fifth of
 * the token to hash per lookup. Entries carry no verdict on time: claims are re-checked on every
 * hit, and an entry is dropped once its `exp` has passed. When full it evicts by second chance
 * (CLOCK): a hit only marks its entry, where an LRU would move it (two map operations per hit),
 * and the oldest entry not used since it was added or last passed over goes.
 */
export class VerifiedTokenCache<T extends { readonly exp: number }> {
  readonly #entries = new Map<string, { readonly token: string; readonly claims: T; used: boolean }>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get(token: string, now: number, leeway: number): T | undefined {
    const key = signatureSegment(token);
    const hit = this.#entries.get(key);
    if (hit === undefined || hit.token !== token) return undefined;
    if (now - leeway >= hit.claims.exp) {
      this.#entries.delete(key);
      return undefined;
    }
    hit.used = true;
    return hit.claims;
  }

  set(token: string, claims: T): void {
    const key = signatureSegment(token);
    this.#entries.delete(key);
    // Before inserting, so the new entry is never the one to go.
    if (this.#entries.size >= this.#maxEntries) this.#evictOne();
    this.#entries.set(key, { token, claims, used: false });
  }

  /** From the oldest: a used entry loses its mark and goes to the back; the first unused one goes. */
  #evictOne(): void {
    for (const [key, entry] of this.#entries) {
      this.#entries.delete(key);
      if (!entry.used) return;
      entry.used = false;
      this.#entries.set(key, entry);
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
