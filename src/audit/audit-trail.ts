import { isGatehouseError } from '../errors.js';
import type { AuditEvent, ClientInfo, Store } from '../store/store.js';
import type { AuditEventName } from './audit-event-names.js';

/** An event as services report it: the time is added here. */
export interface AuditEntry extends Omit<AuditEvent, 'at' | 'event' | 'userAgent' | 'ip'> {
  readonly event: AuditEventName;
  /** Where the request came from, when there was one. */
  readonly client?: ClientInfo | undefined;
}

/** What services call: never waits, never throws. */
export interface AuditRecorder {
  record(entry: AuditEntry): void;
}

export interface AuditTrailOptions {
  readonly store: Store;
  readonly clock: () => number;
  /** Writes are batched: at most this long after an event, or at once past `batchSize` events. */
  readonly flushMs?: number;
  readonly batchSize?: number;
  /** Events kept while the database is unavailable; past it the oldest are dropped (and counted). */
  readonly queueLimit?: number;
  /** Told when writes start failing (false) and when they succeed again (true): one log line each. */
  readonly onWriteState?: (writing: boolean) => void;
  /** Told when the database refused a batch for what it holds (not an outage): it is dropped. */
  readonly onRefused?: (events: number) => void;
}

const DEFAULT_FLUSH_MS = 200;
const DEFAULT_BATCH_SIZE = 200;
const DEFAULT_QUEUE_LIMIT = 10_000;

function eventOf(entry: AuditEntry, at: number): AuditEvent {
  const { client, ...rest } = entry;
  return { ...rest, at, ip: client?.ip ?? null, userAgent: client?.userAgent ?? null };
}

/**
 * The audit trail of one process: events are queued and written in batches (one INSERT per
 * batch, off the request path), so recording a login costs a push onto an array. A batch that
 * fails (database unavailable) stays queued and is tried again at the next flush; `close()`
 * writes what is left.
 *
 * @example
 * const audit = new AuditTrail({ store, clock: Date.now });
 * audit.record({ event: 'logout', userId: 7, sessionId: 'f1', client: { ip: '203.0.113.7', userAgent: 'curl/8' } });
 * await audit.close();
 */
export class AuditTrail implements AuditRecorder {
  readonly #store: Store;
  readonly #clock: () => number;
  readonly #flushMs: number;
  readonly #batchSize: number;
  readonly #queueLimit: number;
  readonly #onWriteState: ((writing: boolean) => void) | undefined;
  readonly #onRefused: ((events: number) => void) | undefined;
  #failing = false;
  #queue: AuditEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #dropped = 0;

  constructor(options: AuditTrailOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#flushMs = options.flushMs ?? DEFAULT_FLUSH_MS;
    this.#batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#queueLimit = options.queueLimit ?? DEFAULT_QUEUE_LIMIT;
    this.#onWriteState = options.onWriteState;
    this.#onRefused = options.onRefused;
  }

  record(entry: AuditEntry): void {
    this.#queue.push(eventOf(entry, this.#clock()));
    if (this.#queue.length > this.#queueLimit) {
      this.#queue.shift();
      this.#dropped += 1;
    }
    if (this.#queue.length >= this.#batchSize) void this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => void this.flush(), this.#flushMs);
      this.#timer.unref();
    }
  }

  /** Writes everything queued so far; resolves when written (or when the write failed). */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    // One write at a time keeps the events in order.
    while (this.#writing !== undefined) await this.#writing;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#writing = this.#store.recordAuditEvents(batch).then(
      () => {
        if (!this.#failing) return;
        this.#failing = false;
        this.#onWriteState?.(true);
      },
      (error: unknown) => {
        // A batch the database refused for its content would be refused forever: drop it.
        if (!isGatehouseError(error) || error.code !== 'service_unavailable') {
          this.#dropped += batch.length;
          this.#onRefused?.(batch.length);
          return;
        }
        // Kept for the next flush, ahead of what arrived meanwhile; the oldest go past the limit.
        const kept = [...batch, ...this.#queue];
        this.#dropped += Math.max(0, kept.length - this.#queueLimit);
        this.#queue = kept.slice(-this.#queueLimit);
        if (!this.#failing) {
          this.#failing = true;
          this.#onWriteState?.(false);
        }
        if (this.#timer === undefined) {
          this.#timer = setTimeout(() => void this.flush(), this.#flushMs * 10);
          this.#timer.unref();
        }
      },
    );
    try {
      await this.#writing;
    } finally {
      this.#writing = undefined;
    }
  }

  /** Writes what is queued; later events are not recorded. */
  async close(): Promise<void> {
    await this.flush();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** GATEHOUSE_AUDIT=off: nothing is recorded. */
export const NO_AUDIT: AuditRecorder & { close(): Promise<void> } = Object.freeze({
  record: () => undefined,
  close: async () => undefined,
});
