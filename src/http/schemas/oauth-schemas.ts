import type { Config } from '../../config/schema.js';
import type { FieldsSchema } from '../request-schema.js';
import { BODY_ERRORS, errorResponse, SERVER_ERRORS, tooManyRequests } from './errors.js';
import { json, ref, type ResponseSchema } from './parts.js';

const TEXT = { type: 'string' } as const;
const TEXTS = { type: 'array', items: TEXT } as const;

export const OAUTH_SCHEMAS = [
  {
    $id: 'ServerMetadata',
    type: 'object',
    description: 'OAuth 2.0 authorization server metadata (an RFC 8414 subset).',
    required: [
      'issuer',
      'jwks_uri',
      'token_endpoint',
      'revocation_endpoint',
      'introspection_endpoint',
      'grant_types_supported',
      'response_types_supported',
      'token_endpoint_auth_methods_supported',
      'revocation_endpoint_auth_methods_supported',
      'introspection_endpoint_auth_methods_supported',
      'access_token_signing_alg_values_supported',
    ],
    additionalProperties: false,
    properties: {
      issuer: TEXT,
      jwks_uri: TEXT,
      token_endpoint: TEXT,
      revocation_endpoint: TEXT,
      introspection_endpoint: TEXT,
      grant_types_supported: TEXTS,
      response_types_supported: TEXTS,
      token_endpoint_auth_methods_supported: TEXTS,
      revocation_endpoint_auth_methods_supported: TEXTS,
      introspection_endpoint_auth_methods_supported: TEXTS,
      access_token_signing_alg_values_supported: { ...TEXTS, description: 'Not an RFC 8414 name: the algorithms tokens are signed with now.' },
    },
  },
  {
    $id: 'Introspection',
    description: 'RFC 7662: the claims of an active token, or `{"active": false}` for any other.',
    anyOf: [
      { title: 'Inactive', type: 'object', required: ['active'], additionalProperties: false, properties: { active: { type: 'boolean', enum: [false] } } },
      {
        title: 'Active',
        type: 'object',
        required: ['active', 'token_type', 'sub', 'user_id', 'username', 'exp', 'iat', 'jti'],
        additionalProperties: false,
        properties: {
          active: { type: 'boolean', enum: [true] },
          token_type: { type: 'string', enum: ['access_token', 'refresh_token'] },
          sub: TEXT,
          user_id: { type: 'integer' },
          username: TEXT,
          exp: { type: 'integer' },
          iat: { type: 'integer' },
          jti: TEXT,
          iss: TEXT,
          aud: TEXT,
        },
      },
    ],
  },
] as const;

export const TOKEN_PARAMETERS = {
  type: 'object',
  properties: {
    token: { type: 'string', description: 'An access or refresh token.' },
    token_type_hint: { type: 'string', description: 'Ignored: either kind of token is recognised.' },
  },
  required: ['token'],
  examples: [{ token: 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJl' }],
} as const satisfies FieldsSchema;

const OAUTH_FORM = ['application/x-www-form-urlencoded', 'application/json'] as const;

const INVALID_REQUEST: ResponseSchema = {
  description: 'The `token` parameter is missing (`invalid_request`), or the body cannot be parsed (`parse_error`, `bad_request`).',
  content: json(
    { anyOf: [ref('OAuthError'), ref('Error')] },
    { error: 'invalid_request', error_description: 'The token parameter is required.', detail: 'The token parameter is required.', code: 'invalid' },
  ),
};

const FORM_ERRORS = { 400: INVALID_REQUEST, ...BODY_ERRORS, ...SERVER_ERRORS } as const;

/** The route schemas of the OAuth endpoints, for this server's settings. */
export function oauthRouteSchemas(config: Config) {
  const cacheable = config.publicUrl !== undefined || config.issuer !== undefined;
  const metadata = (operationId: string, summary: string) => ({
    summary,
    description: 'Endpoint URLs are built from GATEHOUSE_PUBLIC_URL (or an http(s) GATEHOUSE_ISSUER), else from the request\'s Host header.',
    tags: ['oauth'],
    operationId,
    response: {
      200: {
        description: 'The metadata.',
        headers: {
          'Cache-Control': {
            type: 'string',
            description: cacheable ? '`public, max-age=300`, unless the URL is taken from the Host header (`no-store`).' : '`no-store`: the URLs come from this request\'s Host header.',
          },
        },
        content: json(ref('ServerMetadata')),
      },
      400: errorResponse('No base URL is configured and the Host header is missing or not a host name (`bad_request`).', {
        detail: 'The Host header is missing or not a host name (or set GATEHOUSE_PUBLIC_URL).',
        code: 'bad_request',
      }),
      ...SERVER_ERRORS,
    },
  });
  return {
    serverMetadata: metadata('oauthServerMetadata', 'OAuth 2.0 server metadata (RFC 8414)'),
    openidConfiguration: metadata('openidConfiguration', 'The same metadata, where OpenID clients look for it'),
    revoke: {
      summary: 'Revoke a token (RFC 7009)',
      description: 'A valid access or refresh token ends its whole login. Invalid or unknown tokens get the same 200, as the RFC asks.',
      tags: ['oauth'],
      operationId: 'revokeToken',
      consumes: OAUTH_FORM,
      body: TOKEN_PARAMETERS,
      response: { 200: { description: 'Revoked, or nothing to revoke.', content: json({ type: 'object', additionalProperties: false, properties: {} }, {}) }, ...FORM_ERRORS },
    },
    introspect: {
      summary: 'Introspect a token (RFC 7662)',
      description: 'For resource servers holding a client credential from GATEHOUSE_INTROSPECTION_CLIENTS (HTTP Basic).',
      tags: ['oauth'],
      operationId: 'introspectToken',
      security: [{ clientBasic: [] }],
      consumes: OAUTH_FORM,
      body: TOKEN_PARAMETERS,
      response: {
        200: {
          description: 'The token\'s state.',
          headers: { 'Cache-Control': { type: 'string', description: '`no-store`.' } },
          content: json(ref('Introspection'), { active: true, token_type: 'access_token', sub: '1', user_id: 1, username: 'alice', exp: 1735732800, iat: 1735732500, jti: '9b2f0c1e8a7d4b6c5e3f2a1b0c9d8e7f' }),
        },
        ...FORM_ERRORS,
        401: {
          description: 'Missing or wrong client credentials (`authentication_failed`).',
          headers: { 'WWW-Authenticate': { type: 'string', description: '`Basic realm="introspection"`.' } },
          content: json(ref('AuthenticationError'), { detail: 'Client authentication failed.', code: 'authentication_failed' }),
        },
        403: errorResponse('Introspection is off: no GATEHOUSE_INTROSPECTION_CLIENTS (`permission_denied`).', {
          detail: 'Introspection is off: set GATEHOUSE_INTROSPECTION_CLIENTS.',
          code: 'permission_denied',
        }),
        ...(config.introspectionFailureLimit.max > 0 ? { 429: tooManyRequests('Too many failed client authentications from this address (`rate_limited`).') } : {}),
      },
    },
  };
}
