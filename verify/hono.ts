import type { MiddlewareHandler } from 'hono';
import { authenticate, resolveVerifier } from './bearer-failure.js';
import type { VerifiedClaims } from './check-claims.js';
import type { Verifier, VerifierOptions } from './create-verifier.js';

/** Hono environment with the verified claims under `c.get('user')`. */
export interface BearerAuthEnv {
  Variables: { user: VerifiedClaims };
}

/**
 * Hono middleware that verifies `Authorization: Bearer` and stores the claims as
 * `c.get('user')`; otherwise answers 401 with `WWW-Authenticate: Bearer realm="api"` and
 * Gatehouse's body. Options are checked when created.
 *
 * @example
 * const app = new Hono<BearerAuthEnv>();
 * app.use('/api/*', honoBearerAuth({ jwksUri, algorithms: ['EdDSA'] }));
 * app.get('/api/me', (c) => c.json({ id: c.get('user').user_id }));
 */
export function honoBearerAuth(verifierOrOptions: Verifier | VerifierOptions): MiddlewareHandler<BearerAuthEnv> {
  const verifier = resolveVerifier(verifierOrOptions);
  return async (c, next) => {
    const result = await authenticate(verifier, c.req.header('authorization'));
    if ('claims' in result) {
      c.set('user', result.claims);
      await next();
      return undefined;
    }
    return c.json(result.body, result.status as 401 | 503, result.headers);
  };
}
