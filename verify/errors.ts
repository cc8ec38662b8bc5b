/**
 * Stable codes of {@link VerifyError}. They are API contract: once shipped, never renamed.
 *
 * - `token_missing`: no token, or not a string.
 * - `token_too_large`: longer than `maxTokenLength`, refused before any decoding.
 * - `token_malformed`: not strict compact JWS (segments, base64url, UTF-8, JSON, duplicate members).
 * - `alg_not_allowed`: `alg` is `none`, outside the allow-list, or not the algorithm bound to the key.
 * - `unknown_kid`: no key has exactly this `kid` (or no `kid` while several keys are configured).
 * - `header_not_allowed`: `jwk`, `jku`, `x5u`, `x5c`, `b64`, `zip`, `enc` in the protected header.
 * - `crit_unsupported`: a `crit` header (no extension is understood).
 * - `signature_invalid`: empty, malformed or wrong signature.
 * - `token_expired`, `token_not_yet_valid`: `exp` / `nbf` or `iat` against the clock and leeway
 *   (a future `iat` is refused as PyJWT refuses it).
 * - `token_lifetime_too_long`: `exp − iat`, or `exp − now` beyond leeway, exceeds `maxTokenAge`.
 * - `claim_missing`, `claim_invalid`: a required claim is absent or has the wrong type.
 * - `issuer_mismatch`, `audience_mismatch`, `wrong_token_type`: claim values.
 * - `jwks_unavailable`: the remote key set could not be fetched and none is cached.
 * - `key_invalid`: configured key material refused (at creation, or a fetched set).
 * - `options_invalid`: verifier or middleware options refused at creation.
 */
export type VerifyErrorCode =
  | 'token_missing'
  | 'token_too_large'
  | 'token_malformed'
  | 'alg_not_allowed'
  | 'unknown_kid'
  | 'header_not_allowed'
  | 'crit_unsupported'
  | 'signature_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_lifetime_too_long'
  | 'claim_missing'
  | 'claim_invalid'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'wrong_token_type'
  | 'jwks_unavailable'
  | 'key_invalid'
  | 'options_invalid';

/**
 * The one error class of `gatehouse/verify`. Messages name the failing check or claim, never the
 * token, a key or a secret; switch on `code`.
 *
 * @example
 * try {
 *   await verifier.verify(token);
 * } catch (error) {
 *   if (error instanceof VerifyError && error.code === 'token_expired') refresh();
 * }
 */
export class VerifyError extends Error {
  readonly code: VerifyErrorCode;

  constructor(code: VerifyErrorCode, message: string) {
    super(message);
    this.name = 'VerifyError';
    this.code = code;
  }
}
