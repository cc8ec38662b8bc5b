// The pieces the route schemas are built from.

/** The names of the schemas declared once (app.addSchema) and listed under components/schemas. */
export type SharedSchemaId =
  | 'Error'
  | 'AuthenticationError'
  | 'TokenMessage'
  | 'ValidationError'
  | 'OAuthError'
  | 'TokenPair'
  | 'RefreshedTokens'
  | 'User'
  | 'NewUser'
  | 'Session'
  | 'AdminUser'
  | 'AuditEvent'
  | 'Jwk'
  | 'Jwks'
  | 'ServerMetadata'
  | 'Introspection';

/** A reference to a shared schema, as Fastify resolves it and @fastify/swagger names it. */
export function ref(id: SharedSchemaId): { readonly $ref: string } {
  return { $ref: `${id}#` };
}

/** A JSON response's `content`, with an example when given. */
export function json(schema: object, example?: unknown): Record<string, unknown> {
  return { 'application/json': example === undefined ? { schema } : { schema, example } };
}

/** A text field of a response, nullable. */
export const NULLABLE_TEXT = { type: ['string', 'null'] } as const;
export const NULLABLE_TIME = { type: ['string', 'null'], format: 'date-time' } as const;
export const TIME = { type: 'string', format: 'date-time' } as const;

/** The security requirement of the endpoints that need an access token. */
export const BEARER = [{ bearer: [] }] as const;

/** What a route's schema may say about a response: the OpenAPI description, headers and content. */
export interface ResponseSchema {
  readonly description: string;
  readonly headers?: Readonly<Record<string, object>>;
  readonly content?: Readonly<Record<string, unknown>>;
  /** `'null'` for an answer without a body (204). */
  readonly type?: 'null';
}

/** The bodies the API accepts: JSON and, as DRF, form-encoded. */
export const CONSUMES = ['application/json', 'application/x-www-form-urlencoded'] as const;
