/**
 * Stable error codes the SDK raises. Server codes (`token_not_valid`, `rate_limited`, …) are passed
 * through unchanged; the SDK adds its own for failures that never reached a server answer.
 */
export type ClientErrorCode =
  // the SDK's own
  | 'network_error'
  | 'not_logged_in'
  | 'bad_response'
  | 'http_error'
  | 'server_error'
  // from the server (simplejwt / DRF codes and Gatehouse's own)
  | 'no_active_account'
  | 'token_not_valid'
  | 'not_authenticated'
  | 'refresh_token_reused'
  | 'rate_limited'
  | 'invalid'
  | 'csrf_failed'
  | 'permission_denied'
  | 'not_found'
  | 'method_not_allowed'
  | 'registration_closed'
  // any other code a server sends
  | (string & {});

/** Per-field validation messages, as DRF renders them: `{"username": ["A user with that username already exists."]}`. */
export type FieldMessages = Readonly<Record<string, readonly string[]>>;

export interface GatehouseClientErrorOptions {
  /** HTTP status of the answer; 0 when there was none (network failure). */
  status?: number;
  fields?: FieldMessages;
  retryAfterSeconds?: number;
  cause?: unknown;
}

/**
 * The one error class of the SDK. Switch on `code`, never on `message`.
 *
 * @example
 * try {
 *   await client.login(username, password);
 * } catch (error) {
 *   if (error instanceof GatehouseClientError && error.code === 'no_active_account') {
 *     show('Wrong username or password.');
 *   } else if (error instanceof GatehouseClientError && error.code === 'rate_limited') {
 *     show(`Too many attempts, try again in ${error.retryAfterSeconds ?? 60} s.`);
 *   } else throw error;
 * }
 */
export class GatehouseClientError extends Error {
  readonly code: ClientErrorCode;
  /** HTTP status, or 0 when no response arrived. */
  readonly status: number;
  /** Field messages of a 400 validation answer, if any. */
  readonly fields: FieldMessages | undefined;
  /** From a 429's `Retry-After` header, if the server sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ClientErrorCode, message: string, options: GatehouseClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatehouseClientError';
    this.code = code;
    this.status = options.status ?? 0;
    this.fields = options.fields;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/**
 * Narrows `unknown` (a `catch` binding) to a {@link GatehouseClientError}.
 *
 * @example
 * catch (error) { if (isGatehouseClientError(error) && error.code === 'network_error') retryLater(); }
 */
export function isGatehouseClientError(value: unknown): value is GatehouseClientError {
  return value instanceof GatehouseClientError;
}

function codeForStatus(status: number, fallback401: ClientErrorCode): ClientErrorCode {
  if (status === 401) return fallback401;
  if (status === 400) return 'invalid';
  if (status === 403) return 'permission_denied';
  if (status === 404) return 'not_found';
  if (status === 405) return 'method_not_allowed';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  return 'http_error';
}

function fieldMessages(body: Record<string, unknown>): FieldMessages | undefined {
  const fields: Record<string, readonly string[]> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name === 'detail' || name === 'code' || name === 'messages') continue;
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) fields[name] = value;
  }
  return Object.keys(fields).length > 0 ? fields : undefined;
}

/**
 * Turns a non-2xx answer into a typed error. `fallback401` names what a 401 without a `code`
 * means on that endpoint (simplejwt's login 401 has only `detail`: `no_active_account`).
 */
export async function errorFromResponse(response: Response, fallback401: ClientErrorCode): Promise<GatehouseClientError> {
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    body = undefined;
  }
  const object = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const fields = fieldMessages(object);
  const code = typeof object['code'] === 'string' && object['code'] !== '' ? object['code'] : codeForStatus(response.status, fallback401);
  const firstField = fields === undefined ? undefined : Object.values(fields)[0]?.[0];
  const message = typeof object['detail'] === 'string' ? object['detail'] : firstField ?? `HTTP ${response.status}`;
  const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
  return new GatehouseClientError(code, message, {
    status: response.status,
    ...(fields === undefined ? {} : { fields }),
    ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}),
  });
}
