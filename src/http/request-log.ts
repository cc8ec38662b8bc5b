import type { FastifyInstance, FastifyRequest } from 'fastify';
import { destination, pino, type Logger } from 'pino';
import { observeRequest } from '../metrics/metrics.js';
import { LogBatch } from './log-batch.js';

/**
 * Paths that could hold a secret, redacted should one ever reach a log object. Top-level and
 * fixed paths only: wildcard paths cost on every line, and our lines are built field by field.
 */
const REDACT = [
  'authorization', 'cookie', 'password', 'refresh', 'access', 'token', 'body',
  'headers.authorization', 'headers.cookie', 'req.headers.authorization', 'req.headers.cookie',
  'err.config', 'err.body',
];

/** Request lines are written in batches of at most this many bytes, or at the next flush. */
const LOG_BATCH_BYTES = 4096;
const LOG_FLUSH_MS = 250;

export interface Loggers {
  /** Everything but the per-request lines: secrets redacted, written at once. */
  readonly process: Logger;
  /** The per-request lines, which are built field by field from values that are never secret. */
  readonly requests: Logger;
  /** Writes the request lines still waiting (shutdown). */
  flush(): void;
}

/**
 * The process loggers: JSON lines on stdout, written synchronously (pino's own default), so a
 * crash report is never lost. Request lines are batched (see LogBatch: one write per ~4 KB or
 * per 250 ms, where a write per line cost ~10 µs of a request's ~100 µs) and skip redaction,
 * which costs ~6 µs a line; a SIGKILLed worker can lose its last ≤ 250 ms of them.
 */
export function createLoggers(level: string): Loggers {
  const stream = destination({ dest: 1, sync: true });
  const batch = new LogBatch(stream, LOG_BATCH_BYTES, LOG_FLUSH_MS);
  return {
    process: pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, stream),
    requests: pino({ level }, batch),
    flush: () => batch.close(),
  };
}

/**
 * `request.ip` under the trusted-proxy rules. Without X-Forwarded-For that is the peer's address
 * whoever the peer is, read directly: proxy-addr builds arrays per request to say the same.
 */
function clientAddress(request: FastifyRequest): string | undefined {
  return request.headers['x-forwarded-for'] === undefined ? request.socket.remoteAddress : request.ip;
}

function withoutQuery(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/**
 * One log line per request (id, method, path without query, route, status, duration, client
 * address as trusted-proxy rules see it) and the request metrics.
 */
export function logEachRequest(app: FastifyInstance, requests: Logger | undefined): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const elapsedMs = reply.elapsedTime;
    observeRequest(route, request.method, reply.statusCode, elapsedMs / 1000);
    requests?.info(
      {
        reqId: request.id,
        method: request.method,
        path: withoutQuery(request.url),
        route,
        status: reply.statusCode,
        durationMs: Math.round(elapsedMs * 100) / 100,
        remoteAddress: clientAddress(request),
        protocol: request.protocol,
      },
      'request',
    );
    done();
  });
}
