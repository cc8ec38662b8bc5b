import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { publicBaseUrl } from '../../config/public-url.js';
import { GatehouseError } from '../../errors.js';
import { introspectToken, revokeAnyToken } from '../../sessions/oauth-token-status.js';
import type { AppContext } from '../app-context.js';
import { authenticateClient } from '../client-credentials.js';
import { failuresByAddress } from '../failure-limit.js';
import { oauthValidatorCompiler } from '../oauth-parameters.js';
import type { Validated } from '../request-schema.js';
import { oauthRouteSchemas, type TOKEN_PARAMETERS } from '../schemas/oauth-schemas.js';

type WithToken = { Body: Validated<typeof TOKEN_PARAMETERS> };

/** A host name, IPv4 or bracketed IPv6 address, with an optional port: nothing that could bend a URL. */
const HOST_HEADER = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The base URL when none is configured: the request's own Host header, never X-Forwarded-Host
 * (Fastify's `request.host` believes that one from a trusted proxy, which may pass on what a
 * client sent). Host is part of every cache's key, so a forged one misleads only its sender; the
 * scheme is the socket's, or X-Forwarded-Proto from a trusted proxy (which sets it itself).
 */
function requestBase(request: FastifyRequest): string {
  const host = request.headers.host;
  if (typeof host !== 'string' || !HOST_HEADER.test(host)) {
    throw new GatehouseError('bad_request', 'The Host header is missing or not a host name (or set GATEHOUSE_PUBLIC_URL).');
  }
  return `${request.protocol}://${host.toLowerCase()}`;
}

/**
 * OAuth 2.0 server metadata (RFC 8414 subset), token revocation (RFC 7009) and token
 * introspection (RFC 7662, for resource servers holding a configured client credential).
 */
export function oauthRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { config } = ctx;
  const schemas = oauthRouteSchemas(config);
  const configuredBase = publicBaseUrl(config);

  const metadata = async (request: FastifyRequest, reply: FastifyReply) => {
    const base = configuredBase ?? requestBase(request);
    // A configured base is the same for every client: shared caches may keep it a while (as JWKS).
    // One taken from the request's Host is that client's only: no cache may keep it.
    void reply.header('cache-control', configuredBase === undefined ? 'no-store' : 'public, max-age=300');
    return {
      issuer: config.issuer ?? base,
      jwks_uri: `${base}/.well-known/jwks.json`,
      token_endpoint: `${base}/api/token/`,
      revocation_endpoint: `${base}/oauth/revoke`,
      introspection_endpoint: `${base}/oauth/introspect`,
      grant_types_supported: ['password', 'refresh_token'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      // Not an RFC 8414 name: the algorithms of the keys tokens are signed with now.
      access_token_signing_alg_values_supported: [...new Set([...ctx.keys().byKid.values()].map((key) => key.algorithm))],
    };
  };
  app.get('/.well-known/oauth-authorization-server', { schema: schemas.serverMetadata }, metadata);
  app.get('/.well-known/openid-configuration', { schema: schemas.openidConfiguration }, metadata);

  // RFC 6749's error shape for a missing token (see oauthValidatorCompiler).
  const validatorCompiler = oauthValidatorCompiler;
  app.post<WithToken>('/oauth/revoke', { schema: schemas.revoke, validatorCompiler }, async (request) => {
    await revokeAnyToken(ctx.sessions, request.body.token);
    return {};
  });

  const clientFailures = failuresByAddress(ctx.counters, config.introspectionFailureLimit, 'fail-introspect');
  // The client is authenticated before the token parameter is read; from then on nothing is cached.
  async function authenticateIntrospectionClient(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (config.introspectionClients.length === 0) throw new GatehouseError('permission_denied', 'Introspection is off: set GATEHOUSE_INTROSPECTION_CLIENTS.');
    await clientFailures.check(request, reply);
    try {
      authenticateClient(request.headers.authorization, config.introspectionClients);
    } catch (error) {
      await clientFailures.failed(request);
      void reply.header('www-authenticate', 'Basic realm="introspection"');
      throw error;
    }
    void reply.header('cache-control', 'no-store');
  }
  app.post<WithToken>('/oauth/introspect', { schema: schemas.introspect, validatorCompiler, preValidation: authenticateIntrospectionClient }, async (request) => {
    return introspectToken(ctx.sessions, request.body.token);
  });
}
