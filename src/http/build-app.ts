import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import { GatehouseError } from '../errors.js';
import type { AppContext } from './app-context.js';
import { registerBodyParsers } from './body-parsers.js';
import { answerClientError, sendError, toPublicError } from './error-response.js';
import { answerUnroutedRequests } from './method-not-allowed.js';
import { registerRateLimits } from './rate-limits.js';
import { CSRF_HEADER } from './refresh-cookie.js';
import { logEachRequest, loggerOptions } from './request-log.js';
import { healthRoutes } from './routes/health-routes.js';
import { oauthRoutes } from './routes/oauth-routes.js';
import { tokenRoutes } from './routes/token-routes.js';
import { userRoutes } from './routes/user-routes.js';
import { serveWebPage } from './web-page.js';

export interface BuildAppOptions {
  /** Overrides the pino logger (tests pass `false` or a stream-backed logger). */
  readonly logger?: FastifyServerOptions['logger'];
}

/**
 * The Fastify application: routes, body parsing, error mapping, logging, CORS, cookies, rate
 * limits and the demo page. Not listening yet: the caller (a worker, or a test using
 * `inject`) decides.
 */
export async function buildApp(ctx: AppContext, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { config } = ctx;
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config.logLevel),
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: config.bodyLimit,
    trustProxy: [...config.trustedProxies],
    requestTimeout: config.requestTimeout * 1000,
    keepAliveTimeout: config.keepAliveTimeout * 1000,
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    clientErrorHandler: answerClientError,
  });

  app.setErrorHandler(async (error, request, reply) => {
    const publicError = toPublicError(error);
    if (publicError.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(reply, publicError);
  });
  answerUnroutedRequests(app);
  logEachRequest(app);
  limitHandlerTime(app, config.requestTimeout * 1000);

  await registerBodyParsers(app);
  await app.register(cookie);
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: [...config.corsOrigins],
      credentials: true,
      methods: ['GET', 'POST'],
      allowedHeaders: ['Authorization', 'Content-Type', CSRF_HEADER],
      maxAge: 600,
    });
  }
  await registerRateLimits(app, ctx.redis);

  tokenRoutes(app, ctx);
  userRoutes(app, ctx);
  healthRoutes(app, ctx);
  oauthRoutes(app, ctx);
  await serveWebPage(app, config.webDir);
  return app;
}

/** A handler that runs past the request timeout is answered 503 rather than left hanging. */
function limitHandlerTime(app: FastifyInstance, timeoutMs: number): void {
  const timers = new WeakMap<object, NodeJS.Timeout>();
  app.addHook('onRequest', async (request, reply) => {
    const timer = setTimeout(() => {
      if (!reply.sent) void sendError(reply, new GatehouseError('service_unavailable', 'The request took too long to process.'));
    }, timeoutMs);
    timer.unref();
    timers.set(request, timer);
  });
  app.addHook('onResponse', async (request) => {
    clearTimeout(timers.get(request));
  });
}
