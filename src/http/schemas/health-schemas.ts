import { SERVER_ERRORS } from './errors.js';
import { json, ref } from './parts.js';

const TEXT = { type: 'string' } as const;
const JWK_COMMON = {
  kid: { type: 'string', description: 'The key id (its RFC 7638 thumbprint unless configured), as in token headers.' },
  alg: { type: 'string', enum: ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'] },
  use: { type: 'string', enum: ['sig'] },
} as const;

/** One public key per family, its members in the order node:crypto exports them (so serialising keeps the bytes). */
function jwkOf(kty: string, members: readonly string[], title: string) {
  return {
    title,
    type: 'object',
    required: [...members, 'kid', 'alg', 'use'],
    additionalProperties: false,
    properties: { ...Object.fromEntries(members.map((name) => [name, name === 'kty' ? { type: 'string', enum: [kty] } : TEXT])), ...JWK_COMMON },
  };
}

export const HEALTH_SCHEMAS = [
  {
    $id: 'Jwk',
    description: 'A public signing key (RFC 7517). HMAC keys are never published.',
    anyOf: [jwkOf('EC', ['kty', 'x', 'y', 'crv'], 'EC key'), jwkOf('RSA', ['kty', 'n', 'e'], 'RSA key'), jwkOf('OKP', ['crv', 'x', 'kty'], 'Ed25519 key')],
  },
  {
    $id: 'Jwks',
    type: 'object',
    description: 'The keys that verify tokens: the current signing key, keys about to sign, and retired keys whose tokens may still be live.',
    required: ['keys'],
    additionalProperties: false,
    properties: { keys: { type: 'array', items: ref('Jwk') } },
  },
] as const;

const STATUS_OK = { type: 'object', required: ['status'], additionalProperties: false, properties: { status: { type: 'string', enum: ['ok'] } } } as const;

/** The route schemas of health, readiness, metrics and JWKS. */
export const HEALTH_ROUTE_SCHEMAS = {
  liveness: {
    summary: 'Liveness',
    description: 'Answers while the process serves requests.',
    tags: ['health'],
    operationId: 'liveness',
    response: { 200: { description: 'Alive.', content: json(STATUS_OK, { status: 'ok' }) }, ...SERVER_ERRORS },
  },
  readiness: {
    summary: 'Readiness',
    description: 'Ready when the database answers and is migrated; fails first while the process drains before stopping.',
    tags: ['health'],
    operationId: 'readiness',
    response: {
      200: { description: 'Ready.', content: json(STATUS_OK, { status: 'ok' }) },
      ...SERVER_ERRORS,
      503: {
        headers: { 'Retry-After': { type: 'integer', minimum: 1, description: 'With `service_unavailable` only.' } },
        description: 'Draining (stopping) or the database is unavailable; or, as on any endpoint, the request timed out (`service_unavailable`).',
        content: json(
          { anyOf: [{ type: 'object', required: ['status'], additionalProperties: false, properties: { status: { type: 'string', enum: ['draining', 'unavailable'] } } }, ref('Error')] },
          { status: 'draining' },
        ),
      },
    },
  },
  metrics: {
    summary: 'Prometheus metrics',
    description: 'Served unless GATEHOUSE_METRICS=off.',
    tags: ['health'],
    operationId: 'metrics',
    response: {
      200: { description: 'The metrics, in Prometheus text format 0.0.4.', content: { 'text/plain; version=0.0.4': { schema: TEXT } } },
      ...SERVER_ERRORS,
    },
  },
  jwks: {
    summary: 'The public keys (JWKS)',
    description: 'What resource servers verify tokens with. Cacheable for 5 minutes, less than the time a new key is published before it signs.',
    tags: ['keys'],
    operationId: 'jwks',
    response: {
      200: {
        description: 'The JWK Set.',
        headers: { 'Cache-Control': { type: 'string', description: '`public, max-age=300`.' } },
        content: json(ref('Jwks'), { keys: [{ kty: 'EC', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', crv: 'P-256', kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', alg: 'ES256', use: 'sig' }] }),
      },
      ...SERVER_ERRORS,
    },
  },
} as const;

