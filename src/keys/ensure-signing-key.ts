import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { isHmac } from '../tokens/key-material.js';
import { canSign, configuredSigningKey, isPublished } from './load-key-ring.js';
import { insertGeneratedKey, refuseUnopenableKeys, retirementAfter } from './rotate-signing-key.js';

type KeyConfig = Pick<Config, 'algorithm' | 'signingKey' | 'keyEncryptionKey' | 'accessTokenLifetime' | 'refreshTokenLifetime' | 'leeway'>;

/**
 * Makes sure a key can sign with the configured algorithm, generating and storing one on first
 * start (under a cross-process lock, so concurrent starts make one key). Keys of another
 * algorithm stop signing now and stay published until every token they signed has expired.
 * Also checks a configured key (weak keys stop the start), and refuses to add a key next to
 * stored keys that do not open with the settings in force.
 */
export async function ensureSigningKey(store: Store, config: KeyConfig, now: number): Promise<void> {
  if (configuredSigningKey(config) !== undefined || isHmac(config.algorithm)) return;
  await store.withLock('signing-keys', async () => {
    const stored = await store.listSigningKeys();
    if (stored.some((key) => canSign(key, config.algorithm, now))) return;
    refuseUnopenableKeys(stored, config, now);
    for (const key of stored) {
      if (isPublished(key, now) && key.deactivatedAt === null) {
        await store.scheduleSigningKey(key.kid, { deactivatedAt: now, retiresAt: retirementAfter(config, now) });
      }
    }
    await insertGeneratedKey(store, config, now, now);
  });
}
