/**
 * `gatehouse/verify`: check Gatehouse (or any JWS) access tokens in a resource server, with
 * middleware for Fastify, Express and Hono. No server code is imported.
 *
 * @example
 * import { createVerifier, VerifyError } from 'gatehouse/verify';
 * const verifier = createVerifier({ jwksUri: 'https://auth.example.com/.well-known/jwks.json', algorithms: ['ES256'] });
 * const claims = await verifier.verify(token);
 */
export { createVerifier, type Verifier, type VerifierOptions } from './create-verifier.js';
export type { VerifiedClaims } from './check-claims.js';
export { VerifyError, type VerifyErrorCode } from './errors.js';
export { SUPPORTED_ALGORITHMS, type JwsAlgorithm } from './algorithms.js';
export type { SignatureEngine } from './check-signature.js';
export { readBearerToken, failureForError, type AuthFailure } from './bearer-failure.js';
export { fastifyBearerAuth, type AuthenticatedFastifyRequest } from './fastify.js';
export { expressBearerAuth, type AuthenticatedRequest } from './express.js';
export { honoBearerAuth, type BearerAuthEnv } from './hono.js';
