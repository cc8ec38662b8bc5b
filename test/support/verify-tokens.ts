import { constants, createHmac, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { JwsAlgorithm } from '../../verify/algorithms.js';

/** A signing key for tests, with its public JWK (or HMAC secret) ready for a verifier. */
export interface TestKey {
  readonly alg: JwsAlgorithm;
  readonly signingKey: KeyObject | Buffer;
  readonly jwk: Record<string, unknown>;
  readonly publicKey: KeyObject | undefined;
}

const HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/** Generates a fresh key for `alg` (RSA 2048, the matching EC curve, Ed25519, HMAC of hash size). */
export function makeKey(alg: JwsAlgorithm, kid = `kid-${alg}`): TestKey {
  if (alg.startsWith('HS')) {
    const secret = randomBytes(Number(alg.slice(2)) / 8);
    return { alg, signingKey: secret, publicKey: undefined, jwk: { kty: 'oct', k: secret.toString('base64url'), alg, kid } };
  }
  const pair = alg.startsWith('RS') || alg.startsWith('PS')
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : alg.startsWith('ES')
      ? generateKeyPairSync('ec', { namedCurve: alg === 'ES384' ? 'P-384' : alg === 'ES512' ? 'P-521' : 'P-256' })
      : generateKeyPairSync('ed25519');
  return { alg, signingKey: pair.privateKey, publicKey: pair.publicKey, jwk: { ...pair.publicKey.export({ format: 'jwk' }), alg, kid } };
}

/** Raw JWS signature bytes over `input`, made with node:crypto the way JWA (RFC 7518) says. */
export function signInput(alg: JwsAlgorithm, key: KeyObject | Buffer, input: string): Buffer {
  const hash = HASH[alg.slice(2)] ?? 'sha256';
  if (alg.startsWith('HS')) return createHmac(hash, key).update(input).digest();
  const privateKey = key as KeyObject;
  if (alg.startsWith('RS')) return sign(hash, Buffer.from(input), privateKey);
  if (alg.startsWith('PS')) return sign(hash, Buffer.from(input), { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 });
  if (alg.startsWith('ES')) return sign(hash, Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return sign(null, Buffer.from(input), privateKey);
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

/** A hand-made compact JWS from raw header and payload JSON text, correctly signed. */
export function craft(key: TestKey, headerJson: string, payloadJson: string, alg: JwsAlgorithm = key.alg): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${signInput(alg, key.signingKey, input).toString('base64url')}`;
}

/** simplejwt-shaped access-token claims, valid for an hour from `now`. */
export function accessClaims(now: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { token_type: 'access', exp: now + 3600, iat: now, jti: randomBytes(16).toString('hex'), user_id: 1, ...extra };
}
