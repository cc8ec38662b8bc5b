/** The JWS algorithms the verifier supports (RFC 7518, RFC 8037). */
export const SUPPORTED_ALGORITHMS = [
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA',
] as const;

/** One supported JWS `alg` value. */
export type JwsAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

export type AlgorithmSpec =
  | { readonly family: 'hmac'; readonly hash: 'sha256' | 'sha384' | 'sha512'; readonly minKeyBytes: number; readonly signatureBytes: number }
  | { readonly family: 'rsa' | 'pss'; readonly hash: string; readonly hashBytes: number }
  | { readonly family: 'ec'; readonly hash: string; readonly curve: 'P-256' | 'P-384' | 'P-521'; readonly size: number }
  | { readonly family: 'eddsa'; readonly curve: 'Ed25519' };

export const ALGORITHM_SPECS: Readonly<Record<JwsAlgorithm, AlgorithmSpec>> = Object.freeze({
  // RFC 7518 §3.2: the HMAC key must be at least as long as the hash output.
  HS256: { family: 'hmac', hash: 'sha256', minKeyBytes: 32, signatureBytes: 32 },
  HS384: { family: 'hmac', hash: 'sha384', minKeyBytes: 48, signatureBytes: 48 },
  HS512: { family: 'hmac', hash: 'sha512', minKeyBytes: 64, signatureBytes: 64 },
  RS256: { family: 'rsa', hash: 'sha256', hashBytes: 32 },
  RS384: { family: 'rsa', hash: 'sha384', hashBytes: 48 },
  RS512: { family: 'rsa', hash: 'sha512', hashBytes: 64 },
  PS256: { family: 'pss', hash: 'sha256', hashBytes: 32 },
  PS384: { family: 'pss', hash: 'sha384', hashBytes: 48 },
  PS512: { family: 'pss', hash: 'sha512', hashBytes: 64 },
  ES256: { family: 'ec', hash: 'sha256', curve: 'P-256', size: 32 },
  ES384: { family: 'ec', hash: 'sha384', curve: 'P-384', size: 48 },
  ES512: { family: 'ec', hash: 'sha512', curve: 'P-521', size: 66 },
  EdDSA: { family: 'eddsa', curve: 'Ed25519' },
});

/** True for a supported `alg` name (exact, case-sensitive). */
export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && Object.hasOwn(ALGORITHM_SPECS, value);
}
