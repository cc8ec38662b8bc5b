/** A count within a window, and how long until the window ends. */
export interface WindowCount {
  readonly count: number;
  readonly ttlMs: number;
}

/**
 * Counters in fixed windows, shared as widely as the backend reaches: this process (memory), the
 * workers of one node (the primary holds them; see cluster-counter-store.ts), or every node
 * (Redis). What the abuse limits count with: failed logins per account and per address, sign-ups,
 * failed introspection calls. A backend that cannot answer rejects; callers then skip the limit
 * (a Redis outage must not lock everyone out: the password is still checked).
 */
export interface CounterStore {
  /** Adds one to `key` in a window of `windowMs` that starts at its first hit. */
  hit(key: string, windowMs: number): Promise<WindowCount>;
  /** The count now, without adding (0 and 0 ms when absent or expired). */
  peek(key: string): Promise<WindowCount>;
  /** Sets `key` to 1 for `ttlMs`, whatever it was (a lock, or a "known" marker). */
  mark(key: string, ttlMs: number): Promise<void>;
}

export type CounterOperation =
  | { readonly op: 'hit'; readonly key: string; readonly ms: number }
  | { readonly op: 'peek'; readonly key: string }
  | { readonly op: 'mark'; readonly key: string; readonly ms: number };

/** Most keys one memory store holds; past it the oldest are forgotten. */
const DEFAULT_LIMIT = 200_000;

/**
 * Counters in this process's memory, bounded (oldest forgotten first). Synchronous inside; the
 * primary runs one for all its workers.
 *
 * @example
 * const counters = new MemoryCounterStore();
 * const { count, ttlMs } = await counters.hit('fail-addr|203.0.113.7', 15 * 60_000);
 */
export class MemoryCounterStore implements CounterStore {
  readonly #entries = new Map<string, { count: number; resetAt: number }>();
  readonly #now: () => number;
  readonly #limit: number;

  constructor(options: { now?: () => number; limit?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#limit = options.limit ?? DEFAULT_LIMIT;
  }

  /** The operation, synchronously: for the primary, which answers its workers from here. */
  apply(operation: CounterOperation): WindowCount {
    const now = this.#now();
    const entry = this.#entries.get(operation.key);
    const live = entry !== undefined && entry.resetAt > now ? entry : undefined;
    if (operation.op === 'peek') return live === undefined ? { count: 0, ttlMs: 0 } : { count: live.count, ttlMs: live.resetAt - now };
    const next = operation.op === 'hit' && live !== undefined ? { count: live.count + 1, resetAt: live.resetAt } : { count: 1, resetAt: now + operation.ms };
    // Re-inserted, so that Map order stays oldest-written first.
    this.#entries.delete(operation.key);
    this.#entries.set(operation.key, next);
    if (this.#entries.size > this.#limit) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    return { count: next.count, ttlMs: next.resetAt - now };
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    return this.apply({ op: 'hit', key, ms: windowMs });
  }

  async peek(key: string): Promise<WindowCount> {
    return this.apply({ op: 'peek', key });
  }

  async mark(key: string, ttlMs: number): Promise<void> {
    this.apply({ op: 'mark', key, ms: ttlMs });
  }
}
