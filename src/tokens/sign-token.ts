import { constants, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { ALGORITHM_SPECS, type AlgorithmSpec } from '../../verify/algorithms.js';
import { hmacBase64url } from '../../verify/hmac.js';
import type { TokenClaims } from './claims.js';
import type { KeyRing, SigningRingKey } from './key-ring.js';

/** Cached base64url headers: one per key, since the header only names the key. */
const headers = new WeakMap<SigningRingKey, string>();

function encodedHeader(key: SigningRingKey): string {
  let header = headers.get(key);
  if (header === undefined) {
    header = Buffer.from(JSON.stringify({ alg: key.algorithm, typ: 'JWT', kid: key.kid })).toString('base64url');
    headers.set(key, header);
  }
  return header;
}

/** The JWS signature of `input` (RFC 7518), base64url, with the algorithm the key is bound to. */
function signature(key: SigningRingKey, input: string): string {
  const spec = ALGORITHM_SPECS[key.algorithm];
  if (spec.family === 'hmac') {
    // Encoded by node:crypto itself, with the key's pads computed once (verify/hmac.ts).
    return hmacBase64url(spec.hash, key.signKey as Uint8Array)(input);
  }
  return asymmetricSignature(key, spec, Buffer.from(input)).toString('base64url');
}

function asymmetricSignature(key: SigningRingKey, spec: Exclude<AlgorithmSpec, { family: 'hmac' }>, input: Buffer): Buffer {
  const signKey = key.signKey as KeyObject;
  switch (spec.family) {
    case 'rsa':
      return cryptoSign(spec.hash, input, signKey);
    case 'pss':
      return cryptoSign(spec.hash, input, { key: signKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.hashBytes });
    case 'ec':
      return cryptoSign(spec.hash, input, { key: signKey, dsaEncoding: 'ieee-p1363' });
    case 'eddsa':
      return cryptoSign(null, input, signKey);
  }
}

/**
 * Signs claims as a compact JWS with the ring's signing key; the header carries that key's
 * `alg` and `kid`. Signing uses node:crypto directly: jose's async WebCrypto signing measured at
 * 2–30% of it (docs/benchmarks.md); tests check every algorithm's tokens with jose too.
 *
 * Synchronous: node:crypto signs synchronously, and a promise per token measured at ~10% of an
 * HS256 signature.
 *
 * @example const jwt = signToken(ring, buildClaims({...}));
 */
export function signToken(ring: KeyRing, claims: TokenClaims): string {
  const key = ring.signing;
  const input = `${encodedHeader(key)}.${base64urlJson(claims)}`;
  return `${input}.${signature(key, input)}`;
}

// Claims are encoded through one reused buffer (signing is synchronous, so never two at once):
// a fresh Buffer per token was ~0.2 µs of an HS256 signature.
const scratch = Buffer.allocUnsafe(4096);

function base64urlJson(value: unknown): string {
  const json = JSON.stringify(value);
  // UTF-8 takes at most 3 bytes per UTF-16 unit: anything that might not fit takes a new buffer.
  if (json.length * 3 > scratch.length) return Buffer.from(json).toString('base64url');
  return scratch.toString('base64url', 0, scratch.write(json));
}
