import { createVerifier, type Verifier, type VerifierOptions } from './create-verifier.js';
import { VerifyError } from './errors.js';

/** The response a middleware sends when a request is not authenticated. */
export interface AuthFailure {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, unknown>>;
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="api"' } as const;

const NOT_PROVIDED: AuthFailure = {
  status: 401,
  headers: CHALLENGE,
  body: { detail: 'Authentication credentials were not provided.', code: 'not_authenticated' },
};

const BAD_HEADER: AuthFailure = {
  status: 401,
  headers: CHALLENGE,
  body: { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' },
};

// Public messages per code, as simplejwt words them; never the token or the internal reason.
function publicMessage(code: VerifyError['code']): string {
  if (code === 'token_expired') return 'Token is expired';
  if (code === 'wrong_token_type') return 'Token has wrong type';
  return 'Token is invalid';
}

/**
 * Reads `Authorization: Bearer <token>` the way simplejwt does: no header or another scheme is
 * "not provided"; `Bearer` without exactly one value is a bad header.
 */
export function readBearerToken(header: string | readonly string[] | undefined): { token: string } | AuthFailure {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' || value === '') return NOT_PROVIDED;
  const parts = value.split(' ');
  if (parts[0] !== 'Bearer') return NOT_PROVIDED;
  if (parts.length !== 2 || parts[1] === '') return BAD_HEADER;
  return { token: parts[1] as string };
}

/**
 * Maps a verification failure to Gatehouse's 401 body. `jwks_unavailable` is the server's
 * problem, not the token's, so it answers 503 without a challenge. Other errors are rethrown.
 */
export function failureForError(error: unknown): AuthFailure {
  if (!(error instanceof VerifyError)) throw error;
  if (error.code === 'jwks_unavailable') {
    return { status: 503, headers: {}, body: { detail: 'Token keys are unavailable, try again later.', code: 'service_unavailable' } };
  }
  return {
    status: 401,
    headers: CHALLENGE,
    body: {
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message: publicMessage(error.code) }],
    },
  };
}

/** Authenticates one request: the claims, or the failure response to send. */
export async function authenticate(verifier: Verifier, header: string | readonly string[] | undefined): Promise<{ claims: Awaited<ReturnType<Verifier['verify']>> } | AuthFailure> {
  const bearer = readBearerToken(header);
  if (!('token' in bearer)) return bearer;
  try {
    return { claims: await verifier.verify(bearer.token) };
  } catch (error) {
    return failureForError(error);
  }
}

/** A ready verifier, or one created now from options so that mistakes fail at start. */
export function resolveVerifier(verifierOrOptions: Verifier | VerifierOptions): Verifier {
  if (typeof verifierOrOptions !== 'object' || verifierOrOptions === null) {
    throw new VerifyError('options_invalid', 'middleware needs a Verifier or VerifierOptions');
  }
  if ('verify' in verifierOrOptions && typeof verifierOrOptions.verify === 'function') return verifierOrOptions;
  return createVerifier(verifierOrOptions as VerifierOptions);
}
