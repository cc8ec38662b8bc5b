import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { RateLimit } from '../config/setting.js';
import { GatehouseError } from '../errors.js';
import { usernameForRecords } from '../users/validate-credentials.js';
import { addressKey } from '../limits/address-key.js';
import type { CounterStore } from '../limits/counter-store.js';
import { rateLimitStoreFor } from '../limits/rate-limit-store.js';

/**
 * Registers @fastify/rate-limit, counting in `counters`: per node without Redis (the primary
 * holds the counts of all its workers), across nodes with it.
 */
export async function registerRateLimits(app: FastifyInstance, counters: CounterStore): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    store: rateLimitStoreFor(counters),
    // A Redis outage must not lock every user out; the login itself still needs the password.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new GatehouseError('rate_limited', `Request was throttled. Expected available in ${Math.ceil(Number((context as { ttl?: number }).ttl ?? 0) / 1000)} seconds.`),
  });
}

/** The username a request tried, lower-cased and cut to Django's maximum length. */
function usernameOf(request: FastifyRequest): string {
  const body = request.body;
  const username = typeof body === 'object' && body !== null && 'username' in body ? body.username : undefined;
  // One budget per name whatever its spelling (ａlice is alice), and never a NUL in a record.
  return typeof username === 'string' ? usernameForRecords(username).toLowerCase() : '';
}

/**
 * A per-route limit keyed by client address and the username tried, so that one client cannot
 * guess many passwords for one account and one busy NAT does not lock out everyone. A
 * `preValidation` hook (it reads the raw body's username, before the fields are checked).
 * Returns undefined when the limit is off (`0`).
 */
export function limitByAddressAndUsername(
  app: FastifyInstance,
  limit: RateLimit,
  group: string,
  onRefused?: (request: FastifyRequest, username: string) => void,
): preValidationAsyncHookHandler | undefined {
  if (limit.max === 0) return undefined;
  return app.rateLimit({
    max: limit.max,
    timeWindow: limit.windowSeconds * 1000,
    groupId: group,
    keyGenerator: (request) => `${group}|${request.ip}|${usernameOf(request)}`,
    ...(onRefused === undefined ? {} : { onExceeded: (request: FastifyRequest) => onRefused(request, usernameOf(request)) }),
  });
}

/** A per-route limit keyed by client address alone (an IPv6 /64 as one): sign-ups. Undefined when off. */
export function limitByAddress(app: FastifyInstance, limit: RateLimit, group: string): preValidationAsyncHookHandler | undefined {
  if (limit.max === 0) return undefined;
  return app.rateLimit({
    max: limit.max,
    timeWindow: limit.windowSeconds * 1000,
    groupId: group,
    keyGenerator: (request) => `${group}|${addressKey(request.ip)}`,
  });
}
