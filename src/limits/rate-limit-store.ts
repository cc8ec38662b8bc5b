import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { CounterStore } from './counter-store.js';

const DEFAULT_WINDOW_MS = 60_000;

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/**
 * @fastify/rate-limit's store interface over a {@link CounterStore}, so that its per-route limits
 * count where the abuse limits do: once per node without Redis (the primary holds the counters),
 * once across nodes with it. Errors are passed on: the plugin's `skipOnError` then lets the
 * request through.
 */
export function rateLimitStoreFor(counters: CounterStore): FastifyRateLimitStoreCtor {
  return class CounterRateLimitStore {
    /** The plugin passes the route's window in ms as a third argument (its types omit it). */
    incr(key: string, callback: Callback, timeWindow = DEFAULT_WINDOW_MS): void {
      counters.hit(key, timeWindow).then(
        ({ count, ttlMs }) => callback(null, { current: count, ttl: ttlMs }),
        (error: unknown) => callback(error instanceof Error ? error : new Error('counter store failed')),
      );
    }

    child(): CounterRateLimitStore {
      return new CounterRateLimitStore();
    }
  };
}
