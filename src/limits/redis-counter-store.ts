import type { Redis } from 'ioredis';
import type { CounterStore, WindowCount } from './counter-store.js';

const PREFIX = 'gatehouse-limit:';

/** The counters in Redis, shared by every node that points at it. */
export class RedisCounterStore implements CounterStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const name = PREFIX + key;
    // One round trip: the window starts at the first hit (PEXPIRE … NX, Redis ≥ 7).
    const replies = await this.#redis.multi().incr(name).pexpire(name, windowMs, 'NX').pttl(name).exec();
    return { count: Number(replies?.[0]?.[1] ?? 0), ttlMs: Math.max(0, Number(replies?.[2]?.[1] ?? 0)) };
  }

  async peek(key: string): Promise<WindowCount> {
    const name = PREFIX + key;
    const replies = await this.#redis.multi().get(name).pttl(name).exec();
    const count = Number(replies?.[0]?.[1] ?? 0);
    return { count, ttlMs: count > 0 ? Math.max(0, Number(replies?.[1]?.[1] ?? 0)) : 0 };
  }

  async mark(key: string, ttlMs: number): Promise<void> {
    await this.#redis.set(PREFIX + key, '1', 'PX', ttlMs);
  }
}
