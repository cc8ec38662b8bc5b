import { SignJWT } from 'jose';
import type { TokenClaims } from './claims.js';
import type { KeyRing } from './key-ring.js';

/**
 * Signs claims with the ring's signing key; the header carries that key's `alg` and `kid`.
 *
 * @example const jwt = await signToken(ring, buildClaims({...}));
 */
export async function signToken(ring: KeyRing, claims: TokenClaims): Promise<string> {
  const key = ring.signing;
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: key.algorithm, typ: 'JWT', kid: key.kid })
    .sign(key.signKey);
}
