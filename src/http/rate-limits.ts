import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Redis } from 'ioredis';
import type { RateLimit } from '../config/setting.js';
import { GatehouseError } from '../errors.js';

/** Registers @fastify/rate-limit (shared through Redis when configured; per process otherwise). */
export async function registerRateLimits(app: FastifyInstance, redis: Redis | undefined): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    nameSpace: 'gatehouse-rl:',
    ...(redis === undefined ? {} : { redis }),
    // A Redis outage must not lock every user out; the login itself still needs the password.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new GatehouseError('rate_limited', `Request was throttled. Expected available in ${Math.ceil(Number((context as { ttl?: number }).ttl ?? 0) / 1000)} seconds.`),
  });
}

/** The username a request tried, lower-cased and cut to Django's maximum length. */
export function usernameOf(request: FastifyRequest): string {
  const body = request.body;
  const username = typeof body === 'object' && body !== null && 'username' in body ? body.username : undefined;
  return typeof username === 'string' ? username.toLowerCase().slice(0, 150) : '';
}

/**
 * A per-route limit keyed by client address and the username tried, so that one client cannot
 * guess many passwords for one account and one busy NAT does not lock out everyone.
 * Returns undefined when the limit is off (`0`).
 */
export function limitByAddressAndUsername(
  app: FastifyInstance,
  limit: RateLimit,
  group: string,
  onRefused?: (request: FastifyRequest, username: string) => void,
): preHandlerAsyncHookHandler | undefined {
  if (limit.max === 0) return undefined;
  return app.rateLimit({
    max: limit.max,
    timeWindow: limit.windowSeconds * 1000,
    groupId: group,
    keyGenerator: (request) => `${group}|${request.ip}|${usernameOf(request)}`,
    ...(onRefused === undefined ? {} : { onExceeded: (request: FastifyRequest) => onRefused(request, usernameOf(request)) }),
  });
}
