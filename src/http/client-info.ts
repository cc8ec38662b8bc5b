import type { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../store/store.js';

/**
 * Where a request comes from, as sessions and the audit trail record it: the address under the
 * trusted-proxy rules (Fastify's `request.ip`) and the user agent the client sent.
 */
export function clientInfo(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return { userAgent: typeof userAgent === 'string' && userAgent !== '' ? userAgent : null, ip: request.ip || null };
}
