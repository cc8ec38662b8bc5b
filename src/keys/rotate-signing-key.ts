import type { Config } from '../config/schema.js';
import { GatehouseError } from '../errors.js';
import type { Store, StoredSigningKey } from '../store/store.js';
import { asymmetricRingKey, generatePrivateKey, isHmac } from '../tokens/key-material.js';
import { canSign, isPublished } from './load-key-ring.js';
import { sealPrivateKey } from './seal-private-key.js';

type RotationConfig = Pick<Config, 'algorithm' | 'signingKey' | 'keyEncryptionKey' | 'keyPrepublish' | 'refreshTokenLifetime' | 'leeway'>;

/** Generates and stores a key that is published from `now` and signs from `activatesAt`. */
export async function insertGeneratedKey(store: Store, config: Pick<Config, 'algorithm' | 'keyEncryptionKey'>, now: number, activatesAt: number): Promise<StoredSigningKey> {
  const privateKey = generatePrivateKey(config.algorithm);
  const ringKey = asymmetricRingKey(privateKey, config.algorithm, 'generated key');
  const stored: StoredSigningKey = {
    kid: ringKey.kid,
    algorithm: config.algorithm,
    publicJwk: JSON.stringify(ringKey.publicJwk),
    privateKey: sealPrivateKey(JSON.stringify(privateKey.export({ format: 'jwk' })), config.keyEncryptionKey),
    createdAt: now,
    activatesAt,
    deactivatedAt: null,
    retiresAt: null,
  };
  await store.insertSigningKey(stored);
  return stored;
}

/**
 * Starts a key rotation with no failed verification anywhere: the next key is published at once
 * and signs only after the pre-publish window (so verifiers caching JWKS already have it); the
 * current key stops signing then, and stays published until every token it signed has expired.
 * Keys past their retirement are deleted.
 */
export async function rotateSigningKey(store: Store, config: RotationConfig, now: number): Promise<StoredSigningKey> {
  if (isHmac(config.algorithm) || config.signingKey !== undefined) {
    throw new GatehouseError('invalid', 'The signing key comes from GATEHOUSE_SIGNING_KEY: rotate it there (generated keys are rotated by this command).');
  }
  return store.withLock('signing-keys', async () => {
    await store.deleteRetiredSigningKeys(now);
    const switchAt = now + config.keyPrepublish * 1000;
    // Tokens signed up to the switch live at most a refresh lifetime (plus leeway) longer.
    const retireAt = switchAt + (config.refreshTokenLifetime + config.leeway) * 1000;
    for (const key of await store.listSigningKeys()) {
      if (!isPublished(key, now)) continue;
      if (canSign(key, config.algorithm, now) || key.activatesAt > now) {
        await store.scheduleSigningKey(key.kid, { deactivatedAt: switchAt, retiresAt: retireAt });
      }
    }
    return insertGeneratedKey(store, config, now, switchAt);
  });
}

export type KeyState = 'pending' | 'signing' | 'verify-only' | 'retired';

/** Where a stored key is in its life at `now`, for `gatehouse keys list`. */
export function keyState(key: StoredSigningKey, now: number): KeyState {
  if (!isPublished(key, now)) return 'retired';
  if (key.activatesAt > now) return 'pending';
  if (key.deactivatedAt !== null && key.deactivatedAt <= now) return 'verify-only';
  return 'signing';
}
