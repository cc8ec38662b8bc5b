import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, resolveVerifier } from './bearer-failure.js';
import type { VerifiedClaims } from './check-claims.js';
import type { Verifier, VerifierOptions } from './create-verifier.js';

/** An Express (or plain node:http) request after {@link expressBearerAuth} let it through. */
export type AuthenticatedRequest = IncomingMessage & { user: VerifiedClaims };

/**
 * Express middleware that verifies `Authorization: Bearer` and puts the claims on `req.user`;
 * otherwise answers 401 with `WWW-Authenticate: Bearer realm="api"` and Gatehouse's body. Typed
 * with node:http only, so Express types are not required. Options are checked when created.
 *
 * @example
 * app.use('/api', expressBearerAuth({ secret: process.env.SIGNING_KEY!, algorithms: ['HS256'] }));
 * app.get('/api/me', (req, res) => res.json({ id: (req as AuthenticatedRequest).user.user_id }));
 */
export function expressBearerAuth(verifierOrOptions: Verifier | VerifierOptions): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  const verifier = resolveVerifier(verifierOrOptions);
  return (req, res, next) => {
    authenticate(verifier, req.headers.authorization).then((result) => {
      if ('claims' in result) {
        (req as IncomingMessage & { user?: VerifiedClaims }).user = result.claims;
        next();
        return;
      }
      const body = JSON.stringify(result.body);
      res.writeHead(result.status, { ...result.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }, next);
  };
}
