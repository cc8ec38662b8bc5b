import { VerifyError } from './errors.js';

/** Claims of a verified token, frozen. `exp` is always present and numeric. */
export interface VerifiedClaims {
  readonly exp: number;
  readonly iat?: number;
  readonly nbf?: number;
  readonly jti?: string;
  readonly sub?: string;
  readonly iss?: string;
  readonly aud?: string | readonly string[];
  readonly token_type?: string;
  readonly user_id?: unknown;
  readonly [claim: string]: unknown;
}

export interface ClaimRules {
  readonly issuer: string | undefined;
  readonly audience: readonly string[] | undefined;
  readonly leeway: number;
  /** Longest `exp − iat` and `exp − now` accepted, in seconds. */
  readonly maxTokenAge: number;
  readonly tokenType: 'access' | 'refresh' | null;
}

function fail(code: VerifyError['code'], message: string): never {
  throw new VerifyError(code, message);
}

function numericDate(claims: Record<string, unknown>, name: string): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail('claim_invalid', `"${name}" claim is not a number`);
  return value;
}

/**
 * Checks a claim set against the clock (`now`, epoch seconds) and the rules: `exp` required and
 * numeric, not past; `nbf` and `iat` not in the future (all with leeway, as PyJWT checks them);
 * a lifetime (`exp − iat`, and `exp − now` with leeway) of at most `maxTokenAge`; `iss`, `aud`
 * and `token_type` when configured. Runs again on every cache hit, so time always counts.
 */
export function checkClaims(claims: Record<string, unknown>, rules: ClaimRules, now: number): VerifiedClaims {
  const exp = numericDate(claims, 'exp');
  if (exp === undefined) fail('claim_missing', '"exp" claim is missing');
  const nbf = numericDate(claims, 'nbf');
  const iat = numericDate(claims, 'iat');
  if (now - rules.leeway >= exp) fail('token_expired', 'token is expired');
  if (nbf !== undefined && nbf > now + rules.leeway) fail('token_not_yet_valid', 'token is not valid yet');
  if (iat !== undefined && iat > now + rules.leeway) fail('token_not_yet_valid', '"iat" claim is in the future');
  // A stolen token, or one from a signer that was tricked or misconfigured, lives no longer than this.
  if (iat !== undefined && exp - iat > rules.maxTokenAge) fail('token_lifetime_too_long', 'token lifetime ("exp" - "iat") exceeds maxTokenAge');
  if (exp - now > rules.maxTokenAge + rules.leeway) fail('token_lifetime_too_long', 'token expires further ahead than maxTokenAge');
  if (rules.issuer !== undefined) {
    if (claims.iss === undefined) fail('claim_missing', '"iss" claim is missing');
    if (claims.iss !== rules.issuer) fail('issuer_mismatch', 'unexpected "iss" claim value');
  }
  if (rules.audience !== undefined) {
    const aud = claims.aud;
    if (aud === undefined) fail('claim_missing', '"aud" claim is missing');
    const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? (aud as string[]) : undefined;
    if (values === undefined) fail('claim_invalid', '"aud" claim is not a string or array of strings');
    if (!values.some((value) => rules.audience?.includes(value))) fail('audience_mismatch', 'unexpected "aud" claim value');
  }
  if (rules.tokenType !== null) {
    if (claims.token_type === undefined) fail('claim_missing', '"token_type" claim is missing');
    if (claims.token_type !== rules.tokenType) fail('wrong_token_type', 'token has wrong type');
  }
  return claims as VerifiedClaims;
}
