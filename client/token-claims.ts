/** The payload of a Gatehouse (or simplejwt) access token. Decoded, never verified, on the client. */
export interface TokenClaims {
  readonly token_type?: string;
  readonly exp?: number;
  readonly iat?: number;
  readonly jti?: string;
  readonly user_id?: unknown;
  readonly sub?: string;
  /** Gatehouse: the id of the session (login) the token belongs to, as in `listSessions()`. */
  readonly sid?: string;
  readonly [claim: string]: unknown;
}

function decodeBase64Url(text: string): string {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/**
 * Reads the claims of a JWT **without checking its signature**: the client only needs `exp` to
 * plan a refresh, and only the server can tell whether a token is genuine. Never make an
 * authorization decision on these claims.
 *
 * @example
 * const claims = decodeTokenClaims(accessToken);
 * const secondsLeft = (claims?.exp ?? 0) - Date.now() / 1000;
 */
export function decodeTokenClaims(token: string): TokenClaims | null {
  const payload = token.split('.')[1];
  if (payload === undefined || payload === '') return null;
  try {
    const value: unknown = JSON.parse(decodeBase64Url(payload));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as TokenClaims) : null;
  } catch {
    return null;
  }
}
