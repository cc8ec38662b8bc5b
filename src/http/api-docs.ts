import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';

const PACKAGE = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string; description: string };

/** What no single operation can list: answers about the request line itself. */
const DESCRIPTION = `${PACKAGE.description}

Bodies are JSON or form-encoded, as DRF accepts them; a trailing slash on a path is optional. Every error is JSON: \`{"detail", "code"}\` with a stable snake_case code (never renamed), except where simplejwt and DRF have their own shapes (field errors, \`{"detail"}\` alone on some 401s). Every 401 carries \`WWW-Authenticate\`.

Besides each operation's own answers, any request may get:
- **404** \`not_found\` for a path the API does not have (\`#/components/responses/NotFound\`);
- **405** for a known path with another method, with \`Allow\` (\`#/components/responses/MethodNotAllowed\`);
- **400** \`bad_request\`, **408** \`request_timeout\` or **431** \`header_too_large\` when the HTTP request itself is malformed, arrives too slowly or has oversized headers (answered before any routing, in the \`Error\` shape, then the connection closes).`;

const TAGS = [
  { name: 'tokens', description: "simplejwt's token endpoints: log in, refresh, verify, log out." },
  { name: 'users', description: 'The caller, and sign-up.' },
  { name: 'account', description: "Djoser's self-service account endpoints." },
  { name: 'sessions', description: "The caller's logins (refresh token families)." },
  { name: 'admin', description: 'For active admins only (`gatehouse users admin NAME on`).' },
  { name: 'keys', description: 'Public keys for resource servers.' },
  { name: 'oauth', description: 'OAuth 2.0 metadata (RFC 8414), revocation (RFC 7009) and introspection (RFC 7662).' },
  { name: 'health', description: 'Liveness, readiness and metrics, for operators.' },
];

/** The answers to requests no route takes; the conformance tests check such answers against these. */
const UNROUTED_RESPONSES = {
  NotFound: {
    description: 'No such path (`not_found`).',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: { detail: 'Not found.', code: 'not_found' } } },
  },
  MethodNotAllowed: {
    description: "The path exists, not with this method: DRF's 405, whose body has `detail` only.",
    headers: { Allow: { description: 'The methods the path takes.', schema: { type: 'string' as const } } },
    content: {
      'application/json': {
        schema: { type: 'object' as const, required: ['detail'], additionalProperties: false, properties: { detail: { type: 'string' as const } } },
        example: { detail: 'Method "GET" not allowed.' },
      },
    },
  },
};

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * @fastify/swagger marks every request body required; ours are required only where the schema
 * requires a field (cookie mode's refresh takes an empty body).
 */
function markOptionalBodies<T extends object>(document: T): T {
  const paths = (document as JsonObject)['paths'];
  for (const pathItem of Object.values(isObject(paths) ? paths : {})) {
    for (const operation of Object.values(isObject(pathItem) ? pathItem : {})) {
      const body = isObject(operation) ? operation['requestBody'] : undefined;
      if (!isObject(body) || !isObject(body['content'])) continue;
      const schemas = Object.values(body['content']).map((media) => (isObject(media) ? media['schema'] : undefined));
      body['required'] = schemas.some((schema) => isObject(schema) && Array.isArray(schema['required']) && schema['required'].length > 0);
    }
  }
  return document;
}

/**
 * The OpenAPI 3.1 document, collected by @fastify/swagger from the JSON schemas every route is
 * registered with: the same schemas Fastify validates requests and serializes responses with, so
 * the description cannot drift from the code. Must be registered before the routes. Registered
 * whether or not GATEHOUSE_API_DOCS serves it, so every server knows what it answers.
 */
export async function registerApiDescription(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Gatehouse', version: PACKAGE.version, description: DESCRIPTION },
      tags: TAGS,
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /api/token/ or /api/token/refresh/.' },
          clientBasic: { type: 'http', scheme: 'basic', description: 'A resource server\'s `client_id:secret` from GATEHOUSE_INTROSPECTION_CLIENTS.' },
        },
        responses: UNROUTED_RESPONSES,
      },
    },
    // Shared schemas (app.addSchema) keep their $id as their name under components/schemas; the
    // route schemas are module constants shared by every app of a process, so never change them.
    refResolver: { clone: true, buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `schema${i}`) },
    transformObject: (document) => ('openapiObject' in document ? markOptionalBodies(document.openapiObject) : document.swaggerObject),
  });
}
