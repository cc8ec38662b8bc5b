import type { AuthState } from './store.js';

/** What a read must note before it starts, so that {@link SessionStateView.remember} can tell whether it may keep the answer. */
export interface ReadTicket {
  readonly changes: number;
  readonly startedAt: number;
}

export interface SessionStateViewOptions {
  /** The oldest answer served, in ms since its read started (the guarantee; see docs/deployment.md). */
  readonly maxAgeMs: number;
  /** A monotonic clock in ms; default `performance.now`. */
  readonly now?: () => number;
  /** Most entries kept; past it the view starts again empty. */
  readonly limit?: number;
  /**
   * Called, once per entry, when an entry is served after half its lifetime: read it again now
   * (off the request path), so that a busy login never expires and no burst of requests all miss
   * at once. Without it, entries simply expire.
   */
  readonly refreshAhead?: (userId: number, familyId: string) => void;
}

interface Entry {
  readonly state: AuthState;
  readonly readAt: number;
  refreshAsked: boolean;
}

const DEFAULT_LIMIT = 50_000;

/**
 * One process's memory of the session state a per-request check needs (the user, and whether a
 * login is live), fed by change notifications and bounded in time. The rules that make it safe:
 *
 * - An answer is served only while younger than `maxAgeMs`, counted from the moment its read
 *   *started*. A change committed at T is therefore seen by every request that starts after
 *   T + maxAgeMs, even if its notification was lost or late.
 * - A read is kept only if no notification (and no change of channel state) arrived between its
 *   start and its end: a read racing a change may have seen the state from before it.
 * - While the channel is down nothing new is kept; what is kept still ages out. When the channel
 *   comes back, everything is dropped: notifications may have been missed meanwhile.
 *
 * @example
 * const view = new SessionStateView({ maxAgeMs: 1000 });
 * view.setLive(true);
 * const ticket = view.beginRead();
 * const state = await readFromDatabase();
 * view.remember(ticket, userId, familyId, state);
 * view.lookup(userId, familyId); // state, for up to a second unless a change arrives
 */
export class SessionStateView {
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #limit: number;
  readonly #refreshAhead: ((userId: number, familyId: string) => void) | undefined;
  /** user id → family id → entry, so a notification about one user drops only that user's entries. */
  #users = new Map<number, Map<string, Entry>>();
  #size = 0;
  #changes = 0;
  #live = false;

  constructor(options: SessionStateViewOptions) {
    this.#maxAgeMs = options.maxAgeMs;
    this.#now = options.now ?? (() => performance.now());
    this.#limit = options.limit ?? DEFAULT_LIMIT;
    this.#refreshAhead = options.refreshAhead;
  }

  /** True while change notifications arrive; only then are new answers kept. */
  get live(): boolean {
    return this.#live;
  }

  /** The kept answer for this user and login, or undefined (ask the database). */
  lookup(userId: number, familyId: string): AuthState | undefined {
    const families = this.#users.get(userId);
    const entry = families?.get(familyId);
    if (entry === undefined) return undefined;
    const age = this.#now() - entry.readAt;
    if (age > this.#maxAgeMs) {
      families?.delete(familyId);
      this.#size -= 1;
      return undefined;
    }
    if (age * 2 > this.#maxAgeMs && !entry.refreshAsked && this.#refreshAhead !== undefined) {
      entry.refreshAsked = true;
      this.#refreshAhead(userId, familyId);
    }
    return entry.state;
  }

  /** Call right before reading the database. */
  beginRead(): ReadTicket {
    return { changes: this.#changes, startedAt: this.#now() };
  }

  /** Keeps what a read returned, unless the channel is down or something changed since it began. */
  remember(ticket: ReadTicket, userId: number, familyId: string, state: AuthState): void {
    if (!this.#live || ticket.changes !== this.#changes) return;
    if (this.#size >= this.#limit) this.#clear();
    let families = this.#users.get(userId);
    if (families === undefined) {
      families = new Map();
      this.#users.set(userId, families);
    }
    if (!families.has(familyId)) this.#size += 1;
    families.set(familyId, { state, readAt: ticket.startedAt, refreshAsked: false });
  }

  /** A change notification: about one user, or (undefined) about anything. */
  changed(userId?: number): void {
    this.#changes += 1;
    if (userId === undefined) {
      this.#clear();
      return;
    }
    const families = this.#users.get(userId);
    if (families === undefined) return;
    this.#size -= families.size;
    this.#users.delete(userId);
  }

  /** The notification channel went up (everything is dropped) or down (nothing new is kept). */
  setLive(live: boolean): void {
    this.#changes += 1;
    if (live) this.#clear();
    this.#live = live;
  }

  #clear(): void {
    this.#users = new Map();
    this.#size = 0;
  }
}
