import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateNow } from '../sessions/authenticate-access-token.js';
import type { SessionContext } from '../sessions/session-context.js';
import { bearerToken } from './bearer-token.js';
import type { RecordRequest } from './request-log.js';
import { ME_CONTENT_TYPE, userView } from './user-view.js';

const ROUTE = '/api/me/';

export interface MeFastPathOptions {
  readonly sessions: SessionContext;
  /** The metrics and log line of each answered request, as Fastify's routes record theirs. */
  readonly record: RecordRequest;
  /** The request id generator Fastify uses too, so ids stay unique across both paths. */
  readonly nextRequestId: () => string;
  /** False once the app is closing: the app then answers 503 to new requests. */
  readonly open: () => boolean;
}

/**
 * `GET /api/me/` with a valid access token, answered before Fastify routes the request when the
 * answer needs no round trip: the token verifies synchronously and the store can tell the
 * session's state at once (its session-state view, or SQLite's synchronous read; see
 * Store.authStateNow). The answer, log line and metrics are
 * the route's own. Anything else (another request, a query string, any refusal, a store that
 * needs a round trip, an app that is closing) returns false having touched nothing, and
 * Fastify's route gives the full answer.
 *
 * Why: this is the call clients make on every page and the one request whose own work is a few
 * microseconds, so Fastify's per-request machinery (request and reply objects, hooks, routing,
 * ~15 µs here) was a third of its cost; see docs/benchmarks.md.
 *
 * @example
 * const fastPath = meFastPath({ sessions, record, nextRequestId, open: () => true });
 * createServer((req, res) => fastPath(req, res) || fastifyHandler(req, res));
 */
export function meFastPath(options: MeFastPathOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { sessions, record, nextRequestId, open } = options;
  return (req, res) => {
    const url = req.url;
    if (req.method !== 'GET' || (url !== ROUTE && url !== '/api/me') || !open()) return false;
    const started = performance.now();
    let token: string;
    try {
      token = bearerToken(req.headers.authorization);
    } catch {
      return false;
    }
    const authenticated = authenticateNow(sessions, token);
    if (authenticated === undefined) return false;
    const view = userView(authenticated.user);
    res.writeHead(200, { 'content-type': ME_CONTENT_TYPE, 'content-length': view.contentLength });
    res.end(view.json);
    record(req, nextRequestId(), 'GET', url, ROUTE, 200, performance.now() - started);
    return true;
  };
}
