import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimit } from '../config/setting.js';
import { GatehouseError } from '../errors.js';
import { addressKey } from '../limits/address-key.js';
import type { CounterStore } from '../limits/counter-store.js';

/** 429 `rate_limited` with `Retry-After` in whole seconds (at least 1). */
export function throttled(reply: FastifyReply, waitMs: number): GatehouseError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  void reply.header('retry-after', String(seconds));
  return new GatehouseError('rate_limited', `Request was throttled. Expected available in ${seconds} seconds.`);
}

/** A counter that cannot answer (Redis down, the primary busy) is skipped: the credential is still checked. */
export async function orNothing<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch {
    return undefined;
  }
}

export interface FailureLimit {
  /** Before the credential is checked: 429 with Retry-After once this address failed too often. */
  check(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** After a failed credential. */
  failed(request: FastifyRequest): Promise<void>;
}

/**
 * At most `limit.max` failures per client address (an IPv6 /64 as one) within the window, then
 * 429 until it ends: for guessing across usernames (logins) or client secrets (introspection).
 * Only failures count, so a busy client that gets its credentials right is never slowed.
 * `limit.max` 0 is off.
 *
 * @example
 * const limit = failuresByAddress(counters, { max: 30, windowSeconds: 900 }, 'fail-addr');
 */
export function failuresByAddress(counters: CounterStore, limit: RateLimit, group: string): FailureLimit {
  const keyOf = (request: FastifyRequest): string => `${group}|${addressKey(request.ip)}`;
  return {
    async check(request, reply) {
      if (limit.max === 0) return;
      const failures = await orNothing(counters.peek(keyOf(request)));
      if (failures !== undefined && failures.count >= limit.max) throw throttled(reply, failures.ttlMs);
    },
    async failed(request) {
      if (limit.max > 0) await orNothing(counters.hit(keyOf(request), limit.windowSeconds * 1000));
    },
  };
}
