/**
 * The one error class of Gatehouse. Every failure a client can see is a `GatehouseError` with a
 * stable snake_case `code`; the HTTP status comes from {@link STATUS_BY_CODE}.
 * Codes are API contract: once shipped, never renamed (docs/api.md, "Error codes").
 */
export type ErrorCode =
  // simplejwt / DRF codes
  | 'no_active_account'
  | 'token_not_valid'
  | 'not_authenticated'
  | 'authentication_failed'
  | 'bad_authorization_header'
  | 'user_inactive'
  | 'user_not_found'
  | 'invalid'
  | 'parse_error'
  | 'method_not_allowed'
  | 'not_found'
  | 'unsupported_media_type'
  | 'permission_denied'
  // Gatehouse's own
  | 'bad_request'
  | 'payload_too_large'
  | 'header_too_large'
  | 'rate_limited'
  | 'username_taken'
  | 'registration_closed'
  | 'csrf_failed'
  | 'request_timeout'
  | 'service_unavailable'
  | 'config_invalid'
  | 'internal_error';

export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = Object.freeze({
  no_active_account: 401,
  token_not_valid: 401,
  not_authenticated: 401,
  authentication_failed: 401,
  bad_authorization_header: 401,
  user_inactive: 401,
  user_not_found: 401,
  invalid: 400,
  parse_error: 400,
  method_not_allowed: 405,
  not_found: 404,
  unsupported_media_type: 415,
  permission_denied: 403,
  bad_request: 400,
  payload_too_large: 413,
  header_too_large: 431,
  rate_limited: 429,
  username_taken: 400,
  registration_closed: 403,
  csrf_failed: 403,
  request_timeout: 408,
  service_unavailable: 503,
  config_invalid: 500,
  internal_error: 500,
});

/** Per-field validation messages, as DRF renders them: `{"password": ["This field is required."]}`. */
export type FieldErrors = Readonly<Record<string, readonly string[]>>;

export interface GatehouseErrorOptions {
  /** The public response body; defaults to `{detail, code}`. Never put secrets here. */
  body?: Readonly<Record<string, unknown>>;
  /** Internal cause, logged server-side only. */
  cause?: unknown;
}

/**
 * A failure with a stable `code` and a public `message` (the body's `detail`).
 *
 * @example
 * throw new GatehouseError('token_not_valid', 'Token is blacklisted');
 */
export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: GatehouseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatehouseError';
    this.code = code;
    this.status = STATUS_BY_CODE[code];
    this.body = options.body ?? { detail: message, code };
  }
}

/** DRF's 400 for serializer errors: the body is the field map itself. */
export function validationError(fields: FieldErrors): GatehouseError {
  return new GatehouseError('invalid', 'Invalid input.', { body: fields });
}

export function isGatehouseError(value: unknown): value is GatehouseError {
  return value instanceof GatehouseError;
}
