import { constants, verify as cryptoVerify } from 'node:crypto';
import { compactVerify } from 'jose';
import { ALGORITHM_SPECS } from './algorithms.js';
import { hmacBase64url } from './hmac.js';
import type { BoundKey } from './bind-keys.js';

/**
 * Which code checks the signature bytes once every strict pre-check has passed: `node` calls
 * node:crypto with a KeyObject (fast, synchronous); `jose` calls jose's compactVerify (async
 * WebCrypto). Both run against every conformance vector in the test suite.
 */
export type SignatureEngine = 'node' | 'jose';

// Group orders, big-endian, padded to the signature half size (SEC 2).
const CURVE_ORDER: Readonly<Record<string, Buffer>> = {
  'P-256': Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex'),
  'P-384': Buffer.from('ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973', 'hex'),
  'P-521': Buffer.from('01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409', 'hex'),
};

function inRange(integer: Buffer, order: Buffer): boolean {
  // 0 < x < n, both fixed width: rules out r or s of 0 or >= n (CVE-2022-21449 "psychic signatures").
  return integer.some((byte) => byte !== 0) && Buffer.compare(integer, order) < 0;
}

/**
 * Cheap shape checks every engine gets: exact signature length for the key, and ECDSA r and s
 * strictly between 0 and the group order.
 */
export function signatureHasValidShape(key: BoundKey, signature: Buffer): boolean {
  const spec = ALGORITHM_SPECS[key.alg];
  switch (spec.family) {
    case 'hmac':
      return signature.length === spec.signatureBytes;
    case 'rsa':
    case 'pss':
      return signature.length === Math.ceil((key.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    case 'ec': {
      if (signature.length !== 2 * spec.size) return false;
      const order = CURVE_ORDER[spec.curve] as Buffer;
      return inRange(signature.subarray(0, spec.size), order) && inRange(signature.subarray(spec.size), order);
    }
    case 'eddsa':
      return signature.length === 64;
  }
}

/** Length of the unpadded base64url text of `bytes` bytes. */
function base64urlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

/**
 * Whether `text` from `offset` on equals `expected`, in time that depends only on the lengths,
 * which are public (the algorithm fixes them): every code unit is compared, with no early exit.
 * Over 43–86 characters this loop costs less than writing both strings into bytes for
 * timingSafeEqual (~0.35 µs, a tenth of an HS256 check); reading in place spares a slice.
 */
function equalSecretText(expected: string, text: string, offset: number): boolean {
  const length = expected.length;
  if (text.length - offset !== length) return false;
  let difference = 0;
  for (let i = 0; i < length; i++) difference |= expected.charCodeAt(i) ^ text.charCodeAt(offset + i);
  return difference === 0;
}

/**
 * Checks the HMAC signature of a compact JWS as text: the MAC of `token` up to `signingInputEnd`
 * (the second `.`) is encoded to canonical base64url by node:crypto itself and compared in
 * constant time with the rest of the token after that dot. A Buffer of the MAC costs ~1 µs more
 * per check (node creates it with a fresh backing store), and exact equality with the canonical
 * encoding also refuses every non-canonical spelling of the bytes.
 */
export function hmacSegmentMatches(key: BoundKey, token: string, signingInputEnd: number): boolean {
  const spec = ALGORITHM_SPECS[key.alg];
  const signatureStart = signingInputEnd + 1;
  if (spec.family !== 'hmac' || token.length - signatureStart !== base64urlLength(spec.signatureBytes)) return false;
  const expected = hmacBase64url(spec.hash, key.key)(token, signingInputEnd);
  return equalSecretText(expected, token, signatureStart);
}

/**
 * Checks raw signature bytes over `data` with node:crypto, using only the key's bound algorithm.
 * `data` may be a latin1 string (a compact JWS signing input is ASCII). For public keys only:
 * HMAC signatures are checked as text by {@link hmacSegmentMatches}, and refused here.
 */
export function verifyWithNodeCrypto(key: BoundKey, data: Buffer | string, signature: Buffer): boolean {
  const spec = ALGORITHM_SPECS[key.alg];
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  try {
    switch (spec.family) {
      case 'hmac':
        return false;
      case 'rsa':
        return cryptoVerify(spec.hash, bytes, { key: key.key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'pss':
        // RFC 7518 §3.5: MGF1 with the same hash, salt exactly as long as the hash.
        return cryptoVerify(spec.hash, bytes, { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.hashBytes }, signature);
      case 'ec':
        return cryptoVerify(spec.hash, bytes, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'eddsa':
        return cryptoVerify(null, bytes, key.key, signature);
    }
  } catch {
    return false;
  }
}

/** Checks a whole compact JWS with jose, pinned to the key's bound algorithm. */
export async function verifyWithJose(key: BoundKey, token: string): Promise<boolean> {
  try {
    await compactVerify(token, key.key, { algorithms: [key.alg] });
    return true;
  } catch {
    return false;
  }
}
