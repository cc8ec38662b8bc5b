import type { Config } from '../config/schema.js';
import { GatehouseError } from '../errors.js';
import type { Store, StoredSigningKey } from '../store/store.js';
import { asymmetricRingKey, generatePrivateKey, isHmac } from '../tokens/key-material.js';
import { canSign, isPublished, ringKeyFromStored } from './load-key-ring.js';
import { KEY_PROPAGATION_MS } from './reload-key-ring.js';
import { sealPrivateKey } from './seal-private-key.js';

type ScheduleConfig = Pick<Config, 'keyPrepublish' | 'accessTokenLifetime' | 'refreshTokenLifetime' | 'leeway'>;
type RotationConfig = Pick<Config, 'algorithm' | 'signingKey' | 'keyEncryptionKey'> & ScheduleConfig;

/** The times (epoch ms) of a rotation: see {@link rotationSchedule}. */
export interface RotationSchedule {
  /** The next key signs from here; the current key stops signing here (in the database). */
  readonly switchAt: number;
  /** The current key leaves JWKS and stops verifying here. */
  readonly retireAt: number;
}

/**
 * When a key that stops signing at `stopsSigningAt` (in the database) may be retired: a process
 * that has not reloaded yet may sign with it for up to {@link KEY_PROPAGATION_MS} more, and what
 * it signs then lives the longer of the two token lifetimes, plus leeway.
 */
export function retirementAfter(config: Omit<ScheduleConfig, 'keyPrepublish'>, stopsSigningAt: number): number {
  const longestLifetime = Math.max(config.accessTokenLifetime, config.refreshTokenLifetime);
  return stopsSigningAt + KEY_PROPAGATION_MS + (longestLifetime + config.leeway) * 1000;
}

/**
 * The schedule of a rotation started at `now` (epoch ms). Serving processes re-read the keys
 * only every minute, so the next key signs no sooner than every process holds it (nor than
 * GATEHOUSE_KEY_PREPUBLISH, for verifiers caching JWKS), and the current key is retired only
 * once every token that any process may still sign with it has expired.
 *
 * @example
 * const { switchAt, retireAt } = rotationSchedule(config, Date.now());
 */
export function rotationSchedule(config: ScheduleConfig, now: number): RotationSchedule {
  const switchAt = now + Math.max(config.keyPrepublish * 1000, KEY_PROPAGATION_MS);
  return { switchAt, retireAt: retirementAfter(config, switchAt) };
}

/**
 * Throws `config_invalid` (naming GATEHOUSE_KEY_ENCRYPTION_KEY or the kid, never key material)
 * unless every published stored key opens with the settings in force: a new key stored next to
 * them would otherwise be sealed differently (or not at all), and the servers could not load both.
 */
export function refuseUnopenableKeys(keys: readonly StoredSigningKey[], config: Pick<Config, 'keyEncryptionKey'>, now: number): void {
  for (const key of keys) if (isPublished(key, now)) ringKeyFromStored(key, config.keyEncryptionKey);
}

/** Generates and stores a key that is published from `now` and signs from `activatesAt`. */
export async function insertGeneratedKey(store: Store, config: Pick<Config, 'algorithm' | 'keyEncryptionKey'>, now: number, activatesAt: number): Promise<StoredSigningKey> {
  const privateKey = generatePrivateKey(config.algorithm);
  const ringKey = asymmetricRingKey(privateKey, config.algorithm, 'generated key');
  const binding = { kid: ringKey.kid, algorithm: config.algorithm };
  const stored: StoredSigningKey = {
    kid: ringKey.kid,
    algorithm: config.algorithm,
    publicJwk: JSON.stringify(ringKey.publicJwk),
    privateKey: sealPrivateKey(JSON.stringify(privateKey.export({ format: 'jwk' })), config.keyEncryptionKey, binding),
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
 * and signs only after the pre-publish window (so verifiers caching JWKS, and every serving
 * process, already have it); the current key stops signing then, and stays published until every
 * token it signed has expired ({@link rotationSchedule}). Keys past their retirement are deleted.
 * Refused, changing nothing, when the stored keys do not open with the settings in force.
 */
export async function rotateSigningKey(store: Store, config: RotationConfig, now: number): Promise<StoredSigningKey> {
  if (isHmac(config.algorithm) || config.signingKey !== undefined) {
    throw new GatehouseError('invalid', 'The signing key comes from GATEHOUSE_SIGNING_KEY: rotate it there (generated keys are rotated by this command).');
  }
  return store.withLock('signing-keys', async () => {
    await store.deleteRetiredSigningKeys(now);
    const stored = await store.listSigningKeys();
    refuseUnopenableKeys(stored, config, now);
    const { switchAt, retireAt } = rotationSchedule(config, now);
    for (const key of stored) {
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
