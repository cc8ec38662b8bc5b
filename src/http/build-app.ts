import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type RouteOptions } from 'fastify';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { GatehouseError } from '../errors.js';
import { registerApiDescription } from './api-docs.js';
import { serveApiDocs } from './api-reference-page.js';
import type { AppContext } from './app-context.js';
import { registerBodyParsers } from './body-parsers.js';
import { clientOrigin } from './client-origin.js';
import { drfValidatorCompiler } from './drf-validator.js';
import { answerClientError, sendError, toPublicError } from './error-response.js';
import { meFastPath } from './me-fast-path.js';
import { answerUnroutedRequests } from './method-not-allowed.js';
import { registerRateLimits } from './rate-limits.js';
import { CSRF_HEADER } from './refresh-cookie.js';
import { requestIdGenerator } from './request-id.js';
import { logEachRequest, requestRecorder, type Loggers } from './request-log.js';
import { accountRoutes } from './routes/account-routes.js';
import { adminRoutes } from './routes/admin-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { oauthRoutes } from './routes/oauth-routes.js';
import { tokenRoutes } from './routes/token-routes.js';
import { userRoutes } from './routes/user-routes.js';
import { registerSharedSchemas } from './schemas/register-shared-schemas.js';
import { serveWebPage } from './web-page.js';

export interface BuildAppOptions {
  /** The process loggers (see createLoggers); `false` for none (tests). */
  readonly logger: Loggers | false;
  /** Told of every route as it is registered (the tests compare them with the API description). */
  readonly onRoute?: (route: RouteOptions) => void;
}

/**
 * The Fastify application: routes, body parsing, error mapping, logging, CORS, cookies, rate
 * limits and the demo page. Not listening yet: the caller (a worker, or a test using
 * `inject`) decides.
 */
export async function buildApp(ctx: AppContext, options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = ctx;
  const record = requestRecorder(options.logger === false ? undefined : options.logger.requests, clientOrigin(config.trustedProxies));
  const nextRequestId = requestIdGenerator();
  let open = true;
  // CORS adds headers to every answer, so with it on every request goes through Fastify.
  const fastPath = config.corsOrigins.length > 0 ? undefined : meFastPath({ sessions: ctx.sessions, record, nextRequestId, open: () => open });
  const app = Fastify({
    ...(options.logger === false ? { logger: false } : { loggerInstance: options.logger.process as FastifyBaseLogger }),
    // Requests share the process logger: a child logger per request costs more than the line.
    childLoggerFactory: (logger) => logger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: nextRequestId,
    requestIdHeader: false,
    // The HTTP/1 server Fastify would make, with GET /api/me/ answered first when it can be
    // (see meFastPath).
    serverFactory: (handler) => {
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        if (fastPath === undefined || !fastPath(req, res)) handler(req, res);
      });
      server.keepAliveTimeout = config.keepAliveTimeout * 1000;
      server.requestTimeout = config.requestTimeout * 1000;
      return server;
    },
    bodyLimit: config.bodyLimit,
    trustProxy: [...config.trustedProxies],
    routerOptions: { ignoreTrailingSlash: true },
    // While closing, new requests get the API's own 503 (see below): Fastify's has another body.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    clientErrorHandler: answerClientError,
  });

  if (options.onRoute !== undefined) app.addHook('onRoute', options.onRoute);
  const reportUnavailable = throttledUnavailableWarning();
  app.setErrorHandler(async (error, request, reply) => {
    const publicError = toPublicError(error);
    if (publicError.code === 'service_unavailable') reportUnavailable(request.log, publicError);
    else if (publicError.status >= 500) request.log.error({ reqId: request.id, err: error }, 'request failed');
    return sendError(reply, publicError);
  });
  answerUnroutedRequests(app);
  logEachRequest(app, record);
  app.addHook('preClose', (done) => {
    open = false;
    done();
  });
  // Once closing, whatever still arrives on an open connection is answered 503 in the API's shape.
  app.addHook('onRequest', (_request, reply, done) => {
    if (open) done();
    else void sendError(reply, new GatehouseError('service_unavailable', 'The server is shutting down; try again shortly.'));
  });
  limitHandlerTime(app, config.requestTimeout * 1000);

  await registerBodyParsers(app);
  // Only cookie mode reads cookies on every request; elsewhere the parsing hook would be wasted
  // work, and only the login's known-device cookie is read, by the login itself.
  await app.register(cookie, config.refreshCookie ? {} : { hook: false });
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: [...config.corsOrigins],
      credentials: true,
      methods: ['GET', 'POST'],
      allowedHeaders: ['Authorization', 'Content-Type', CSRF_HEADER],
      maxAge: 600,
    });
  }
  await registerRateLimits(app, ctx.counters);
  await registerApiDescription(app);
  // The route schemas say which fields exist; DRF's rules check them (see drfValidatorCompiler).
  app.setValidatorCompiler(drfValidatorCompiler);
  registerSharedSchemas(app, config);

  tokenRoutes(app, ctx);
  userRoutes(app, ctx);
  accountRoutes(app, ctx);
  adminRoutes(app, ctx);
  healthRoutes(app, ctx);
  oauthRoutes(app, ctx);
  if (config.apiDocs) await serveApiDocs(app);
  await serveWebPage(app, config.webDir);
  return app;
}

const UNAVAILABLE_WARNING_MS = 10_000;

/**
 * An outage fails every request alike: one warning line per 10 s, with how many were answered 503
 * since the last one, rather than an error and a stack per request. Only the driver's error code
 * is logged: its message can name the database host.
 */
function throttledUnavailableWarning(): (log: FastifyBaseLogger, error: GatehouseError) => void {
  let lastAt = -Infinity;
  let suppressed = 0;
  return (log, error) => {
    const now = performance.now();
    if (now - lastAt < UNAVAILABLE_WARNING_MS) {
      suppressed += 1;
      return;
    }
    lastAt = now;
    const cause = error.cause as { code?: unknown } | undefined;
    const causeCode = typeof cause?.code === 'string' ? cause.code : undefined;
    log.warn({ event: 'service_unavailable', cause: causeCode, alsoSince: suppressed }, 'answered 503: a dependency is unavailable');
    suppressed = 0;
  };
}

/**
 * A handler that runs past the request timeout is answered 503 rather than left hanging. One
 * sweep a second over the replies in flight (oldest first, by Fastify's own start time) instead
 * of a timer per request. A request whose client went away stays listed until the sweep reaches
 * its deadline: an `onRequestAbort` hook would cost every request a 'close' listener.
 */
function limitHandlerTime(app: FastifyInstance, timeoutMs: number): void {
  // In arrival order: the oldest are first, and a response finds its entry directly.
  const inFlight = new Set<FastifyReply>();
  const sweep = setInterval(() => {
    for (const reply of inFlight) {
      if (reply.elapsedTime < timeoutMs) break;
      inFlight.delete(reply);
      if (!reply.sent && !reply.raw.destroyed && reply.request.raw.socket?.destroyed !== true) {
        void sendError(reply, new GatehouseError('service_unavailable', 'The request took too long to process.'));
      }
    }
  }, Math.min(1000, timeoutMs));
  sweep.unref();
  app.addHook('onRequest', (_request, reply, done) => {
    inFlight.add(reply);
    done();
  });
  app.addHook('onResponse', (_request, reply, done) => {
    inFlight.delete(reply);
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    clearInterval(sweep);
    done();
  });
}
