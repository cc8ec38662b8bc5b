import type { KeyRing } from './key-ring.js';

/** The JWK Set of a ring: public keys only (HMAC keys are never published). */
export function jwksOf(ring: KeyRing): { keys: Readonly<Record<string, unknown>>[] } {
  return { keys: ring.published.flatMap((key) => (key.publicJwk === undefined ? [] : [key.publicJwk])) };
}
