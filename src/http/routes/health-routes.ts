import type { FastifyInstance } from 'fastify';
import { metricsText } from '../../metrics/metrics.js';
import { jwksOf } from '../../tokens/jwks.js';
import type { AppContext } from '../app-context.js';
import { HEALTH_ROUTE_SCHEMAS as schemas } from '../schemas/health-schemas.js';

/** Liveness, readiness (database reachable and migrated; fails first while draining), metrics, JWKS. */
export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', { schema: schemas.liveness }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: schemas.readiness }, async (_request, reply) => {
    if (ctx.isDraining()) return reply.code(503).send({ status: 'draining' });
    const ready = await ctx.store.isReady().catch(() => false);
    return ready ? { status: 'ok' } : reply.code(503).send({ status: 'unavailable' });
  });

  if (ctx.config.metrics) {
    app.get('/metrics', { schema: schemas.metrics }, async (_request, reply) => {
      const { contentType, body } = await metricsText();
      return reply.type(contentType).send(body);
    });
  }

  app.get('/.well-known/jwks.json', { schema: schemas.jwks }, async (_request, reply) => {
    // Shorter than the key pre-publish window, so caches learn a new key before it signs.
    return reply.header('cache-control', 'public, max-age=300').send(jwksOf(ctx.keys()));
  });
}
