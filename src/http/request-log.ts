import type { FastifyInstance } from 'fastify';
import { destination, pino, type Logger } from 'pino';
import { observeRequest } from '../metrics/metrics.js';

/**
 * Paths that could hold a secret, redacted should one ever reach a log object. Top-level and
 * fixed paths only: wildcard paths cost on every line, and our lines are built field by field.
 */
const REDACT = [
  'authorization', 'cookie', 'password', 'refresh', 'access', 'token', 'body',
  'headers.authorization', 'headers.cookie', 'req.headers.authorization', 'req.headers.cookie',
  'err.config', 'err.body',
];

/**
 * The process logger: JSON lines on stdout, secrets redacted, written asynchronously (under load
 * pino batches lines into fewer writes; `flush()` on shutdown).
 */
export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, destination({ dest: 1, sync: false }));
}

/**
 * One log line per request (id, method, path without query, route, status, duration, client
 * address as trusted-proxy rules see it) and the request metrics.
 */
export function logEachRequest(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    observeRequest(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
    request.log.info(
      {
        reqId: request.id,
        method: request.method,
        path: request.url.split('?', 1)[0],
        route,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        remoteAddress: request.ip,
        protocol: request.protocol,
      },
      'request',
    );
    done();
  });
}
