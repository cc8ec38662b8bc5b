import { isGatehouseError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { KeyRing } from '../tokens/key-ring.js';
import { loadKeyRing } from './load-key-ring.js';

/** How often a serving process re-reads the signing keys, so rotations reach every worker. */
export const KEY_RELOAD_MS = 60_000;

/**
 * How long after a change to the stored keys every serving process is sure to have seen it: one
 * reload interval, plus slack for a reload that waits on a busy event loop or a slow database.
 * Rotation schedules around it (see rotate-signing-key.ts).
 */
export const KEY_PROPAGATION_MS = KEY_RELOAD_MS + 30_000;

/** Where the ring in force lives: read before each reload, replaced after a good one. */
export interface KeyRingHolder {
  get(): KeyRing;
  set(next: KeyRing): void;
}

/** The part of a pino logger the reload reports through. */
export interface KeyReloadLog {
  error(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export interface KeyReloadOptions {
  /** Default {@link KEY_RELOAD_MS}. */
  readonly intervalMs?: number;
  /** Epoch milliseconds; default `Date.now`. */
  readonly clock?: () => number;
}

/** Our own messages name the setting or kid at fault, never a value; anything else only by its code. */
function reasonOf(error: unknown): string {
  if (isGatehouseError(error)) return error.message;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unexpected';
  return `key reload failed (${code})`;
}

/**
 * Re-reads the signing keys every {@link KEY_RELOAD_MS} and swaps the new ring in. A failed
 * reload keeps the ring in force and is logged: one `key_reload_failed` error line when the
 * failures start (or their reason changes), one `key_reload_recovered` line when a reload works
 * again. Returns the (unref'd) timer; clear it on close.
 *
 * @example
 * const reload = reloadKeyRingPeriodically(store, config, { get: () => ring, set: (next) => (ring = next) }, logger.process);
 * // on close:
 * clearInterval(reload);
 */
export function reloadKeyRingPeriodically(
  store: Store,
  config: Parameters<typeof loadKeyRing>[1],
  holder: KeyRingHolder,
  log: KeyReloadLog | undefined,
  options: KeyReloadOptions = {},
): NodeJS.Timeout {
  const clock = options.clock ?? Date.now;
  let failing: string | undefined;
  let running = false;
  const timer = setInterval(() => {
    // A reload slower than the interval (a stalled database) is not stacked up behind itself.
    if (running) return;
    running = true;
    loadKeyRing(store, config, clock(), holder.get())
      .then(
        (next) => {
          holder.set(next);
          if (failing !== undefined) log?.info({ event: 'key_reload_recovered' }, 'signing keys reloaded again');
          failing = undefined;
        },
        (error: unknown) => {
          const reason = reasonOf(error);
          if (reason !== failing) log?.error({ event: 'key_reload_failed', reason }, 'signing keys could not be reloaded; the keys already loaded stay in force');
          failing = reason;
        },
      )
      .finally(() => {
        running = false;
      });
  }, options.intervalMs ?? KEY_RELOAD_MS);
  timer.unref();
  return timer;
}
