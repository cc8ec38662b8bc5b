import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Algorithm, Config } from '../config/schema.js';
import { ALGORITHMS } from '../config/schema.js';
import { GatehouseError } from '../errors.js';
import type { Store, StoredSigningKey } from '../store/store.js';
import { asymmetricRingKey, hmacRingKey, isHmac, parsePrivateKey, thumbprint } from '../tokens/key-material.js';
import { createKeyRing, type KeyRing, type SigningRingKey } from '../tokens/key-ring.js';
import { openPrivateKey } from './seal-private-key.js';

type KeyConfig = Pick<Config, 'algorithm' | 'signingKey' | 'keyEncryptionKey'>;

/**
 * A key from the database, back in memory, bound to the algorithm it was stored with. Refuses
 * (`config_invalid`, naming the kid, never key material) a key that does not open with
 * GATEHOUSE_KEY_ENCRYPTION_KEY, one stored in the clear while that is set, and one whose `kid`
 * is not the thumbprint of its own public key (every generated key's is).
 */
export function ringKeyFromStored(stored: StoredSigningKey, keyEncryptionKey: string | undefined): SigningRingKey {
  const algorithm = ALGORITHMS.find((name) => name === stored.algorithm);
  if (algorithm === undefined) throw new GatehouseError('config_invalid', `Stored signing key ${stored.kid} has an unknown algorithm`);
  const text = openPrivateKey(stored.privateKey, keyEncryptionKey, { kid: stored.kid, algorithm });
  const key = asymmetricRingKey(privateKeyFromJwkText(text, stored.kid), algorithm, `stored signing key ${stored.kid}`, stored.kid);
  if (key.publicJwk === undefined || thumbprint(key.publicJwk as JsonWebKey) !== stored.kid) {
    throw new GatehouseError('config_invalid', `Stored signing key ${stored.kid} does not match its kid`);
  }
  return key;
}

function privateKeyFromJwkText(text: string, kid: string): KeyObject {
  try {
    return createPrivateKey({ key: JSON.parse(text) as JsonWebKey, format: 'jwk' });
  } catch {
    throw new GatehouseError('config_invalid', `Stored signing key ${kid} is not a private JWK`);
  }
}

/** True when a stored key may sign at `now`. */
export function canSign(key: StoredSigningKey, algorithm: Algorithm, now: number): boolean {
  return key.algorithm === algorithm && key.activatesAt <= now && (key.deactivatedAt === null || key.deactivatedAt > now);
}

/** True while a stored key must stay published and verifiable. */
export function isPublished(key: StoredSigningKey, now: number): boolean {
  return key.retiresAt === null || key.retiresAt > now;
}

/** The configured key (HMAC secret or private key), if any. */
export function configuredSigningKey(config: KeyConfig): SigningRingKey | undefined {
  if (isHmac(config.algorithm)) {
    if (config.signingKey === undefined) {
      throw new GatehouseError('config_invalid', `GATEHOUSE_SIGNING_KEY is required with ${config.algorithm} (a secret of at least the hash size)`);
    }
    return hmacRingKey(config.signingKey, config.algorithm);
  }
  if (config.signingKey === undefined) return undefined;
  return asymmetricRingKey(parsePrivateKey(config.signingKey, 'GATEHOUSE_SIGNING_KEY'), config.algorithm, 'GATEHOUSE_SIGNING_KEY');
}

// A configured key is parsed once per (frozen) config, not on every periodic reload.
const configuredKeys = new WeakMap<KeyConfig, SigningRingKey | undefined>();

function configuredKeyOf(config: KeyConfig): SigningRingKey | undefined {
  if (!configuredKeys.has(config)) configuredKeys.set(config, configuredSigningKey(config));
  return configuredKeys.get(config);
}

/**
 * The key ring at `now`: the configured key, or the newest stored key of the configured
 * algorithm that may sign; plus every stored key still published (ahead of or after its signing
 * window), so tokens signed before a rotation keep verifying. Keys already in `previous` (the
 * ring being replaced on a periodic reload) are reused rather than decrypted and parsed again.
 */
export async function loadKeyRing(store: Store, config: KeyConfig, now: number, previous?: KeyRing): Promise<KeyRing> {
  const published = (await store.listSigningKeys()).filter((key) => isPublished(key, now));
  const loaded = new Map<string, SigningRingKey>();
  for (const key of published) {
    const known = previous?.byKid.get(key.kid);
    const reusable = known !== undefined && 'signKey' in known && known.algorithm === key.algorithm;
    loaded.set(key.kid, reusable ? (known as SigningRingKey) : ringKeyFromStored(key, config.keyEncryptionKey));
  }
  let signing = configuredKeyOf(config);
  if (signing === undefined) {
    const newest = published.filter((key) => canSign(key, config.algorithm, now)).sort((a, b) => b.activatesAt - a.activatesAt)[0];
    if (newest === undefined) throw new GatehouseError('service_unavailable', 'No signing key is ready: run `gatehouse migrate`');
    signing = loaded.get(newest.kid) as SigningRingKey;
  }
  return createKeyRing(signing, [...loaded.values()]);
}
