import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import { destination, pino, type Logger } from 'pino';
import { observeRequest } from '../metrics/metrics.js';
import type { ClientOrigin } from './client-origin.js';
import { LogBatch, type LogSink } from './log-batch.js';

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
/** pino's number for `info`, the level request lines are logged at. */
const INFO = 30;

export interface Loggers {
  /** Every line but the per-request ones: pino, secrets redacted, written at once. */
  readonly process: Logger;
  /** The per-request lines; undefined when the level is above `info`. */
  readonly requests: RequestLog | undefined;
  /** Writes the request lines still waiting (shutdown). */
  flush(): void;
}

/** JSON.stringify of a string, reusing the last answer when the same text comes again. */
class LastQuoted {
  #text = '';
  #json = '""';

  of(text: string): string {
    if (text !== this.#text) {
      this.#text = text;
      this.#json = JSON.stringify(text);
    }
    return this.#json;
  }
}

/**
 * The per-request log line, in the shape and field order pino gives its lines:
 * `{"level":30,"time":…,"pid":…,"hostname":…,"reqId":…,"method":…,"path":…,"route":…,"status":…,
 * "durationMs":…,"remoteAddress":…,"protocol":…,"msg":"request"}`. Serialized here rather than by
 * pino because it is written once per request and its fields are fixed and never secret: pino's
 * generic serializer (a key walk with type checks per value) took 2.6 µs a line alone and ~4 µs
 * of a request's CPU in a worker; this takes 1 µs alone. Every string goes through JSON.stringify.
 */
export class RequestLog {
  readonly #sink: LogSink;
  readonly #head: string;
  // Method, path, route, address and scheme mostly repeat from one line to the next.
  readonly #method = new LastQuoted();
  readonly #path = new LastQuoted();
  readonly #route = new LastQuoted();
  readonly #address = new LastQuoted();
  readonly #protocol = new LastQuoted();

  constructor(sink: LogSink, pid: number, host: string) {
    this.#sink = sink;
    this.#head = `,"pid":${pid},"hostname":${JSON.stringify(host)},"reqId":`;
  }

  /**
   * One request's line. `remoteAddress` is left out when unknown, as pino leaves out undefined.
   *
   * @example
   * log.write('1f3a-1', 'GET', '/api/me/', '/api/me/', 200, 0.41, '127.0.0.1', 'http');
   */
  write(
    reqId: string,
    method: string,
    path: string,
    route: string,
    status: number,
    durationMs: number,
    remoteAddress: string | undefined,
    protocol: string,
  ): void {
    const address = remoteAddress === undefined ? '' : `,"remoteAddress":${this.#address.of(remoteAddress)}`;
    this.#sink.write(
      `{"level":${INFO},"time":${Date.now()}${this.#head}${JSON.stringify(reqId)},"method":${this.#method.of(method)},` +
        `"path":${this.#path.of(path)},"route":${this.#route.of(route)},"status":${status},` +
        `"durationMs":${Math.round(durationMs * 100) / 100}${address},"protocol":${this.#protocol.of(protocol)},"msg":"request"}\n`,
    );
  }
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
  const processLog = pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, stream);
  return {
    process: processLog,
    requests: processLog.isLevelEnabled('info') ? new RequestLog(batch, process.pid, hostname()) : undefined,
    flush: () => batch.close(),
  };
}

/** The path without its query string: queries can carry anything a client puts there. */
function withoutQuery(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** Records one answered request: its metrics and, when request lines are on, its log line. */
export type RecordRequest = (
  raw: IncomingMessage,
  reqId: string,
  method: string,
  path: string,
  route: string,
  status: number,
  elapsedMs: number,
) => void;

/**
 * What both ways of answering a request (Fastify's routes and the /api/me/ fast path) call once
 * per request: the request metrics, and one log line (id, method, path without query, route,
 * status, duration, client address and scheme as the trusted-proxy rules see them).
 *
 * @example
 * const record = requestRecorder(loggers.requests, clientOrigin(config.trustedProxies));
 * record(req, 'a1b2-1', 'GET', '/api/me/', '/api/me/', 200, 0.4);
 */
export function requestRecorder(requests: RequestLog | undefined, origin: ClientOrigin): RecordRequest {
  return (raw, reqId, method, path, route, status, elapsedMs) => {
    observeRequest(route, method, status, elapsedMs / 1000);
    requests?.write(reqId, method, path, route, status, elapsedMs, origin.address(raw), origin.protocol(raw));
  };
}

/** Records every request Fastify answers (see requestRecorder). */
export function logEachRequest(app: FastifyInstance, record: RecordRequest): void {
  app.addHook('onResponse', (request, reply, done) => {
    record(request.raw, request.id, request.method, withoutQuery(request.url), request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime);
    done();
  });
}
