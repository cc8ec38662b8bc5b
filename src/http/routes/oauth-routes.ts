import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../errors.js';
import { introspectToken, revokeAnyToken } from '../../sessions/oauth-token-status.js';
import type { AppContext } from '../app-context.js';
import { authenticateClient } from '../client-credentials.js';

/** RFC 6749's error shape, with our stable code beside it. */
function tokenParameter(request: FastifyRequest): string {
  const body = request.body;
  const token = typeof body === 'object' && body !== null && 'token' in body ? body.token : undefined;
  if (typeof token === 'string' && token !== '') return token;
  const detail = 'The token parameter is required.';
  throw new GatehouseError('invalid', detail, { body: { error: 'invalid_request', error_description: detail, detail, code: 'invalid' } });
}

/**
 * OAuth 2.0 server metadata (RFC 8414 subset), token revocation (RFC 7009) and token
 * introspection (RFC 7662, for resource servers holding a configured client credential).
 */
export function oauthRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { config } = ctx;

  const metadata = async (request: FastifyRequest) => {
    const base = config.issuer ?? `${request.protocol}://${request.host}`;
    const origin = `${request.protocol}://${request.host}`;
    return {
      issuer: base,
      jwks_uri: `${origin}/.well-known/jwks.json`,
      token_endpoint: `${origin}/api/token/`,
      revocation_endpoint: `${origin}/oauth/revoke`,
      introspection_endpoint: `${origin}/oauth/introspect`,
      grant_types_supported: ['password', 'refresh_token'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      // Not an RFC 8414 name: the algorithms of the keys tokens are signed with now.
      access_token_signing_alg_values_supported: [...new Set([...ctx.keys().byKid.values()].map((key) => key.algorithm))],
    };
  };
  app.get('/.well-known/oauth-authorization-server', metadata);
  app.get('/.well-known/openid-configuration', metadata);

  app.post('/oauth/revoke', async (request) => {
    await revokeAnyToken(ctx.sessions, tokenParameter(request));
    return {};
  });

  app.post('/oauth/introspect', async (request, reply) => {
    if (config.introspectionClients.length === 0) throw new GatehouseError('permission_denied', 'Introspection is off: set GATEHOUSE_INTROSPECTION_CLIENTS.');
    try {
      authenticateClient(request.headers.authorization, config.introspectionClients);
    } catch (error) {
      void reply.header('www-authenticate', 'Basic realm="introspection"');
      throw error;
    }
    void reply.header('cache-control', 'no-store');
    return introspectToken(ctx.sessions, tokenParameter(request));
  });
}
