import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { ALGORITHM_SPECS, isJwsAlgorithm, type JwsAlgorithm } from './algorithms.js';
import { decodeBase64url } from './decode-base64url.js';
import { hasRocaFingerprint } from './detect-roca-modulus.js';
import { secretLooksLikeKeyMaterial } from './detect-public-key-secret.js';
import { VerifyError } from './errors.js';

/** A verification key bound to exactly one algorithm. */
export interface BoundKey {
  readonly kid: string | undefined;
  readonly alg: JwsAlgorithm;
  readonly key: KeyObject;
}

/** Keys of one verifier, looked up only by exact `kid`. */
export interface KeySet {
  readonly keys: readonly BoundKey[];
  /** The key for a token header's `kid` (`undefined` in the header: only when there is one key). */
  find(kid: string | undefined): BoundKey | undefined;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'] as const;
const ALLOWED_KEY_OPS = new Set(['sign', 'verify']);

function refuse(message: string): never {
  throw new VerifyError('key_invalid', message);
}

function makeKeySet(keys: readonly BoundKey[]): KeySet {
  const byKid = new Map<string, BoundKey>();
  for (const key of keys) if (key.kid !== undefined) byKid.set(key.kid, key);
  const only = keys.length === 1 ? keys[0] : undefined;
  return {
    keys,
    // A lone key without an id (a shared secret) has no id to compare, so it answers any kid:
    // simplejwt and Gatehouse HS tokens name a kid the secret itself cannot carry.
    find: (kid) => (kid === undefined || (only !== undefined && only.kid === undefined) ? only : byKid.get(kid)),
  };
}

function familyOfKty(kty: string): readonly string[] {
  switch (kty) {
    case 'oct': return ['hmac'];
    case 'RSA': return ['rsa', 'pss'];
    case 'EC': return ['ec'];
    case 'OKP': return ['eddsa'];
    default: return [];
  }
}

/** The algorithm a JWK is bound to: its own `alg`, or the one allowed algorithm that fits it. */
function algorithmOf(jwk: Record<string, unknown>, kty: string, allowed: readonly JwsAlgorithm[], index: number): JwsAlgorithm | undefined {
  if (jwk.alg !== undefined) {
    if (!isJwsAlgorithm(jwk.alg)) refuse(`key ${index}: alg is not a supported signature algorithm`);
    // A well-formed key for an algorithm this verifier does not allow is left out, not refused.
    return allowed.includes(jwk.alg) ? jwk.alg : undefined;
  }
  const families = familyOfKty(kty);
  const fitting = allowed.filter((alg) => {
    const spec = ALGORITHM_SPECS[alg];
    if (!families.includes(spec.family)) return false;
    return spec.family !== 'ec' || spec.curve === jwk.crv;
  });
  if (fitting.length !== 1) refuse(`key ${index}: no alg, and the allowed algorithms do not name exactly one for it`);
  return fitting[0];
}

function importJwk(jwk: Record<string, unknown>, alg: JwsAlgorithm, index: number): KeyObject {
  const spec = ALGORITHM_SPECS[alg];
  const kty = jwk.kty;
  if (spec.family === 'hmac') {
    if (kty !== 'oct') refuse(`key ${index}: kty does not fit its alg`);
    const bytes = typeof jwk.k === 'string' ? decodeBase64url(jwk.k) : undefined;
    if (bytes === undefined) refuse(`key ${index}: k is not base64url`);
    if (bytes.length < spec.minKeyBytes) refuse(`key ${index}: HMAC key shorter than the hash output`);
    return createSecretKey(bytes);
  }
  for (const member of PRIVATE_MEMBERS) {
    if (member in jwk) refuse(`key ${index}: private key material in a verification key set`);
  }
  let fields: Record<string, unknown>;
  if (spec.family === 'rsa' || spec.family === 'pss') {
    if (kty !== 'RSA') refuse(`key ${index}: kty does not fit its alg`);
    fields = { kty, n: jwk.n, e: jwk.e };
  } else {
    const curve = spec.family === 'ec' || spec.family === 'eddsa' ? spec.curve : undefined;
    if (kty !== (spec.family === 'ec' ? 'EC' : 'OKP') || jwk.crv !== curve) refuse(`key ${index}: kty or crv does not fit its alg`);
    fields = spec.family === 'ec' ? { kty, crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty, crv: jwk.crv, x: jwk.x };
  }
  for (const [name, value] of Object.entries(fields)) {
    if (name !== 'kty' && name !== 'crv' && (typeof value !== 'string' || decodeBase64url(value) === undefined)) {
      refuse(`key ${index}: ${name} is not base64url`);
    }
  }
  let key: KeyObject;
  try {
    // node validates the encoding and, for EC, that the point is on the curve.
    key = createPublicKey({ key: fields as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch {
    refuse(`key ${index}: not a valid public key`);
  }
  if (spec.family === 'rsa' || spec.family === 'pss') checkRsaKey(key, fields.n as string, index);
  return key;
}

function checkRsaKey(key: KeyObject, n: string, index: number): void {
  const details = key.asymmetricKeyDetails;
  if ((details?.modulusLength ?? 0) < 2048) refuse(`key ${index}: RSA modulus shorter than 2048 bits`);
  const e = details?.publicExponent ?? 0n;
  if (e < 3n || e % 2n === 0n) refuse(`key ${index}: RSA public exponent must be odd and at least 3`);
  const modulus = BigInt(`0x${Buffer.from(n, 'base64url').toString('hex')}`);
  if (hasRocaFingerprint(modulus)) refuse(`key ${index}: RSA modulus has the ROCA weakness (CVE-2017-15361)`);
}

function checkUse(jwk: Record<string, unknown>, index: number): void {
  if (jwk.use !== undefined && jwk.use !== 'sig') refuse(`key ${index}: use is not "sig"`);
  if (jwk.key_ops !== undefined) {
    const ops = jwk.key_ops;
    if (!Array.isArray(ops) || !ops.includes('verify') || !ops.every((op) => typeof op === 'string' && ALLOWED_KEY_OPS.has(op))) {
      refuse(`key ${index}: key_ops does not allow "verify" only`);
    }
  }
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid === '')) refuse(`key ${index}: kid is not a non-empty string`);
}

/**
 * Validates a JWK Set and binds every usable key to one algorithm. Refuses (`key_invalid`) the
 * whole set for: a key that is not a signature key (`use`, `key_ops`), an unsupported `alg`,
 * `kty`/`crv` not fitting the `alg`, short HMAC keys, RSA under 2048 bits / bad exponent / ROCA,
 * EC points off the curve, private members, duplicate `kid`, HMAC mixed with public keys, several
 * keys without `kid`, or no usable key at all. Keys whose valid `alg` is not allowed are left out.
 */
export function bindJwks(jwks: unknown, allowed: readonly JwsAlgorithm[]): KeySet {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) {
    refuse('key set must be an object with a "keys" array');
  }
  const entries = (jwks as { keys: unknown[] }).keys;
  const kids = new Set<string>();
  const bound: BoundKey[] = [];
  let symmetric = 0;
  entries.forEach((entry, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) refuse(`key ${index}: not an object`);
    const jwk = entry as Record<string, unknown>;
    if (typeof jwk.kty !== 'string' || familyOfKty(jwk.kty).length === 0) refuse(`key ${index}: unsupported kty`);
    checkUse(jwk, index);
    if (typeof jwk.kid === 'string') {
      if (kids.has(jwk.kid)) refuse('duplicate kid in key set');
      kids.add(jwk.kid);
    }
    if (jwk.kty === 'oct') symmetric++;
    const alg = algorithmOf(jwk, jwk.kty, allowed, index);
    const key = importJwk(jwk, alg ?? (jwk.alg as JwsAlgorithm), index);
    if (alg !== undefined) bound.push({ kid: jwk.kid as string | undefined, alg, key });
  });
  // A set mixing shared secrets and public keys invites confusion between the two (Wycheproof).
  if (symmetric > 0 && symmetric < entries.length) refuse('key set mixes HMAC secrets and public keys');
  if (bound.length === 0) refuse('key set has no key usable with the allowed algorithms');
  if (bound.length > 1 && bound.some((key) => key.kid === undefined)) refuse('every key needs a kid when there are several');
  return makeKeySet(bound);
}

/**
 * Binds an HMAC secret to the one HS algorithm in the allow-list. Refuses (`key_invalid`) a
 * secret shorter than the hash output or one that is really key material (PEM, DER, JWK text).
 */
export function bindSecret(secret: unknown, allowed: readonly JwsAlgorithm[]): KeySet {
  if (typeof secret !== 'string' && !(secret instanceof Uint8Array)) refuse('secret must be a string or Uint8Array');
  const hmac = allowed.filter((alg) => ALGORITHM_SPECS[alg].family === 'hmac');
  if (hmac.length !== 1) refuse('a secret needs exactly one HS algorithm in algorithms');
  const alg = hmac[0] as JwsAlgorithm;
  if (secretLooksLikeKeyMaterial(secret)) refuse('secret looks like a public key; HMAC with a public key is forgeable');
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  const spec = ALGORITHM_SPECS[alg];
  if (spec.family === 'hmac' && bytes.length < spec.minKeyBytes) refuse('secret shorter than the hash output');
  return makeKeySet([{ kid: undefined, alg, key: createSecretKey(bytes) }]);
}
