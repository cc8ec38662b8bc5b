import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticate, resolveVerifier } from './bearer-failure.js';
import type { VerifiedClaims } from './check-claims.js';
import type { Verifier, VerifierOptions } from './create-verifier.js';

/** A Fastify request after {@link fastifyBearerAuth} let it through. */
export type AuthenticatedFastifyRequest = FastifyRequest & { user: VerifiedClaims };

/**
 * Fastify hook (use as `onRequest` or `preHandler`) that verifies `Authorization: Bearer` and
 * puts the claims on `request.user`; otherwise answers 401 with `WWW-Authenticate: Bearer
 * realm="api"` and Gatehouse's body. Options are checked when the hook is created.
 *
 * @example
 * const auth = fastifyBearerAuth({ jwksUri, algorithms: ['ES256'] });
 * app.get('/api/orders', { onRequest: auth }, async (request) => {
 *   return listOrders((request as AuthenticatedFastifyRequest).user.user_id);
 * });
 */
export function fastifyBearerAuth(verifierOrOptions: Verifier | VerifierOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const verifier = resolveVerifier(verifierOrOptions);
  return async (request, reply) => {
    const result = await authenticate(verifier, request.headers.authorization);
    if ('claims' in result) {
      (request as FastifyRequest & { user?: VerifiedClaims }).user = result.claims;
      return undefined;
    }
    return reply.code(result.status).headers(result.headers).send(result.body);
  };
}
