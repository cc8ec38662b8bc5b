import type { KeyObject } from 'node:crypto';
import type { Algorithm } from '../config/schema.js';

/** Key material: a Node KeyObject for asymmetric keys, bytes for HMAC secrets. */
export type KeyMaterial = KeyObject | Uint8Array;

/** One key, bound to exactly one algorithm: a token is only ever checked with `algorithm`. */
export interface RingKey {
  readonly kid: string;
  readonly algorithm: Algorithm;
  /** Verifies signatures (the public key, or the HMAC secret). */
  readonly verifyKey: KeyMaterial;
  /** Public JWK for JWKS (with kid, alg, use); undefined for HMAC keys, which are never published. */
  readonly publicJwk: Readonly<Record<string, unknown>> | undefined;
}

export interface SigningRingKey extends RingKey {
  readonly signKey: KeyMaterial;
}

/**
 * The keys one process signs and verifies with: exactly one signing key, and every key whose
 * tokens may still be alive (including keys published ahead of rotation).
 */
export interface KeyRing {
  readonly signing: SigningRingKey;
  /** By exact `kid`. */
  readonly byKid: ReadonlyMap<string, RingKey>;
  /** Published public keys, in JWKS order (the signing key first). */
  readonly published: readonly RingKey[];
}

/** Builds a ring; the signing key is always verifiable. */
export function createKeyRing(signing: SigningRingKey, others: readonly RingKey[] = []): KeyRing {
  const byKid = new Map<string, RingKey>([[signing.kid, signing]]);
  for (const key of others) if (!byKid.has(key.kid)) byKid.set(key.kid, key);
  const published = [...byKid.values()].filter((key) => key.publicJwk !== undefined);
  return Object.freeze({ signing, byKid, published });
}
