import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../errors.js';
import { sendError } from './error-response.js';

function normalise(path: string): string {
  const bare = path.split('?', 1)[0] ?? '';
  return bare.endsWith('/') && bare.length > 1 ? bare.slice(0, -1) : bare;
}

/**
 * Unknown paths get 404 and known paths with the wrong method get DRF's 405 (with `Allow`),
 * both as JSON. Fastify alone would answer 404 to both.
 */
export function answerUnroutedRequests(app: FastifyInstance): void {
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const path = normalise(route.url);
    const methods = methodsByPath.get(path) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    methodsByPath.set(path, methods);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const allowed = methodsByPath.get(normalise(request.url));
    if (allowed === undefined) return sendError(reply, new GatehouseError('not_found', 'Not found.'));
    const method = request.method.replace(/[^A-Z]/g, '').slice(0, 16);
    void reply.header('allow', [...allowed].join(', '));
    const detail = `Method "${method}" not allowed.`;
    return sendError(reply, new GatehouseError('method_not_allowed', detail, { body: { detail } }));
  });
}
