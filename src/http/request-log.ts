import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { observeRequest } from '../metrics/metrics.js';

/** Anything that could hold a secret is redacted, should it ever reach a log object. */
const REDACT = [
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
  'headers.authorization', 'headers.cookie', 'body', 'req.body',
  '*.password', '*.refresh', '*.access', '*.token', '*.signingKey', '*.databaseUrl',
];

/** pino options: JSON lines with secrets redacted (request logging is ours: see logEachRequest). */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
  };
}

/**
 * One log line per request (id, method, path without query, route, status, duration, client
 * address as trusted-proxy rules see it) and the request metrics.
 */
export function logEachRequest(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    observeRequest(route, request.method, reply.statusCode, seconds);
    request.log.info(
      {
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
  });
}
