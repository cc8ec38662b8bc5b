import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Algorithm } from '../config/schema.js';
import { GatehouseError } from '../errors.js';
import type { SigningRingKey } from './key-ring.js';

const HMAC_MIN_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };
const EC_CURVE: Readonly<Record<string, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };
const NODE_CURVE: Readonly<Record<string, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };
const MIN_RSA_BITS = 2048;

export function isHmac(algorithm: Algorithm): boolean {
  return algorithm.startsWith('HS');
}

function weak(setting: string, why: string): GatehouseError {
  return new GatehouseError('config_invalid', `${setting} is not usable: ${why}`);
}

/**
 * An HMAC key from a configured secret, refused when shorter than the hash (RFC 7518 3.2).
 * Its `kid` is derived from the secret one-way, so every node with the same secret agrees.
 */
export function hmacRingKey(secret: string, algorithm: Algorithm): SigningRingKey {
  const bytes = new TextEncoder().encode(secret);
  const min = HMAC_MIN_BYTES[algorithm];
  if (min === undefined) throw weak('GATEHOUSE_ALGORITHM', 'not an HMAC algorithm');
  if (bytes.length < min) throw weak('GATEHOUSE_SIGNING_KEY', `${algorithm} needs a secret of at least ${min} bytes`);
  const kid = createHmac('sha256', bytes).update('gatehouse key id').digest('base64url').slice(0, 16);
  return Object.freeze({ kid, algorithm, signKey: bytes, verifyKey: bytes, publicJwk: undefined });
}

/** Throws unless `key` has the type (and size or curve) that `algorithm` needs. */
export function checkKeyFitsAlgorithm(key: KeyObject, algorithm: Algorithm, setting: string): void {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (algorithm.startsWith('RS') || algorithm.startsWith('PS')) {
    if (type !== 'rsa' && !(algorithm.startsWith('PS') && type === 'rsa-pss')) throw weak(setting, `${algorithm} needs an RSA key`);
    if ((details.modulusLength ?? 0) < MIN_RSA_BITS) throw weak(setting, `RSA keys must be at least ${MIN_RSA_BITS} bits`);
  } else if (algorithm.startsWith('ES')) {
    if (type !== 'ec' || details.namedCurve !== NODE_CURVE[algorithm]) throw weak(setting, `${algorithm} needs an EC key on ${EC_CURVE[algorithm]}`);
  } else if (algorithm === 'EdDSA') {
    if (type !== 'ed25519') throw weak(setting, 'EdDSA needs an Ed25519 key');
  } else {
    throw weak(setting, `${algorithm} does not take a private key`);
  }
}

/** RFC 7638 thumbprint of the public JWK: a stable, content-derived key id. */
export function thumbprint(jwk: JsonWebKey): string {
  const required: Readonly<Record<string, readonly string[]>> = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] };
  const members = required[String(jwk.kty)] ?? [];
  const canonical = JSON.stringify(Object.fromEntries(members.map((name) => [name, jwk[name]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

/** A signing key from a private key object, its public half published as a JWK. */
export function asymmetricRingKey(privateKey: KeyObject, algorithm: Algorithm, setting: string, kid?: string): SigningRingKey {
  if (privateKey.type !== 'private') throw weak(setting, 'a private key is required');
  checkKeyFitsAlgorithm(privateKey, algorithm, setting);
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' });
  const keyId = kid ?? thumbprint(jwk);
  return Object.freeze({
    kid: keyId,
    algorithm,
    signKey: privateKey,
    verifyKey: publicKey,
    publicJwk: Object.freeze({ ...jwk, kid: keyId, alg: algorithm, use: 'sig' }),
  });
}

/** Parses a configured private key: PEM (PKCS#8, PKCS#1 or SEC1) or a private JWK as JSON text. */
export function parsePrivateKey(text: string, setting: string): KeyObject {
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith('{')) {
      const jwk: unknown = JSON.parse(trimmed);
      if (typeof jwk !== 'object' || jwk === null) throw new Error('not a JWK');
      return createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    }
    return createPrivateKey({ key: trimmed, format: 'pem' });
  } catch {
    throw weak(setting, 'expected a PEM or JWK private key');
  }
}

/** A fresh private key for `algorithm` (RSA: 2048 bits). */
export function generatePrivateKey(algorithm: Algorithm): KeyObject {
  if (algorithm.startsWith('RS') || algorithm.startsWith('PS')) return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  if (algorithm === 'EdDSA') return generateKeyPairSync('ed25519').privateKey;
  const curve = NODE_CURVE[algorithm];
  if (curve === undefined) throw weak('GATEHOUSE_ALGORITHM', `${algorithm} keys are not generated; set GATEHOUSE_SIGNING_KEY`);
  return generateKeyPairSync('ec', { namedCurve: curve }).privateKey;
}
