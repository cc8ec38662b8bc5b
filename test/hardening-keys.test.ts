// Signing keys at rest and in rotation, against someone who can write the database and against
// serving processes that see the keys only once a minute.
import assert from 'node:assert/strict';
import { createCipheriv, generateKeyPairSync, hkdfSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { configWith } from '../src/config/load-config.js';
import type { Config } from '../src/config/schema.js';
import { isGatehouseError } from '../src/errors.js';
import { ensureSigningKey } from '../src/keys/ensure-signing-key.js';
import { loadKeyRing } from '../src/keys/load-key-ring.js';
import { KEY_PROPAGATION_MS, KEY_RELOAD_MS, reloadKeyRingPeriodically } from '../src/keys/reload-key-ring.js';
import { rotateSigningKey, rotationSchedule } from '../src/keys/rotate-signing-key.js';
import { openPrivateKey, sealPrivateKey } from '../src/keys/seal-private-key.js';
import { prepare } from '../src/runtime.js';
import { openStore } from '../src/store/open-store.js';
import type { Store, StoredSigningKey } from '../src/store/store.js';
import { buildClaims } from '../src/tokens/claims.js';
import { asymmetricRingKey } from '../src/tokens/key-material.js';
import type { KeyRing } from '../src/tokens/key-ring.js';
import { signToken } from '../src/tokens/sign-token.js';
import { verifyToken } from '../src/tokens/verify-token.js';
import { createTestDatabase } from './support/databases.js';

const KEK = 'an encryption key of more than thirty-two characters';
const T0 = Date.UTC(2030, 0, 1); // frozen clock, epoch ms
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A config_invalid naming `setting`, with none of `secrets` in its message. */
function configError(setting: string, ...secrets: string[]) {
  return (error: unknown) => {
    assert.ok(isGatehouseError(error), String(error));
    assert.equal(error.code, 'config_invalid');
    assert.ok(error.message.includes(setting), `names ${setting}`);
    for (const secret of secrets) assert.ok(!error.message.includes(secret), 'never quotes key material');
    return true;
  };
}

async function withStore<T>(run: (store: Store, dataDir: string) => Promise<T>): Promise<T> {
  const database = await createTestDatabase('sqlite');
  const store = await openStore({ databaseUrl: undefined, dataDir: database.dataDir });
  try {
    await store.migrate();
    return await run(store, database.dataDir);
  } finally {
    await store.close();
    await database.drop();
  }
}

/** A stored row for a fresh key, as someone writing straight into the database would make it. */
function plantedKey(algorithm: 'ES256' | 'RS256', privateKeyText: (jwk: string, kid: string) => string, overrides: Partial<StoredSigningKey> = {}): StoredSigningKey {
  const privateKey = algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ring = asymmetricRingKey(privateKey, algorithm, 'test');
  const jwk = JSON.stringify(privateKey.export({ format: 'jwk' }));
  return {
    kid: ring.kid,
    algorithm,
    publicJwk: JSON.stringify(ring.publicJwk),
    privateKey: privateKeyText(jwk, ring.kid),
    createdAt: T0,
    activatesAt: T0 + 1,
    deactivatedAt: null,
    retiresAt: null,
    ...overrides,
  };
}

/** Removes a stored key through the store's own contract (retire it now, delete the retired). */
async function removeKey(store: Store, kid: string, now: number): Promise<void> {
  await store.scheduleSigningKey(kid, { retiresAt: now - 1 });
  await store.deleteRetiredSigningKeys(now);
}

/** The sealing of Gatehouse 0.1 ("sealed:v1:", no additional data), to check it still opens. */
function sealUnbound(plaintext: string, keyEncryptionKey: string): string {
  const key = Buffer.from(hkdfSync('sha256', keyEncryptionKey, 'gatehouse', 'signing key at rest', 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `sealed:v1:${[iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url')).join('.')}`;
}

describe('keys at rest with GATEHOUSE_KEY_ENCRYPTION_KEY', () => {
  it('refuses a key stored in the clear, naming the setting and not the key', async () => {
    await withStore(async (store) => {
      const config = configWith({ keyEncryptionKey: KEK });
      await ensureSigningKey(store, config, T0);
      await loadKeyRing(store, config, T0 + 2);
      const planted = plantedKey('ES256', (jwk) => jwk);
      await store.insertSigningKey(planted);
      const d = String((JSON.parse(planted.privateKey) as { d: string }).d);
      await assert.rejects(loadKeyRing(store, config, T0 + 2), configError('GATEHOUSE_KEY_ENCRYPTION_KEY', d, planted.privateKey));
    });
  });

  it('binds the ciphertext to its kid and algorithm: a sealed key moved to another algorithm is refused', async () => {
    await withStore(async (store) => {
      const rs256 = configWith({ algorithm: 'RS256', keyEncryptionKey: KEK });
      await ensureSigningKey(store, rs256, T0);
      const [stored] = await store.listSigningKeys();
      assert.ok(stored !== undefined && stored.privateKey.startsWith('sealed:v2:'));
      // Same row, same ciphertext, relabelled PS256 (an RSA key fits both).
      await removeKey(store, stored.kid, T0 + 10);
      await store.insertSigningKey({ ...stored, algorithm: 'PS256' });
      await assert.rejects(loadKeyRing(store, configWith({ algorithm: 'PS256', keyEncryptionKey: KEK }), T0 + 20), configError('GATEHOUSE_KEY_ENCRYPTION_KEY'));
    });
  });

  it('refuses a sealed key opened under another kid or algorithm', () => {
    const sealed = sealPrivateKey('{"kty":"EC"}', KEK, { kid: 'kid-a', algorithm: 'RS256' });
    assert.equal(openPrivateKey(sealed, KEK, { kid: 'kid-a', algorithm: 'RS256' }), '{"kty":"EC"}');
    assert.throws(() => openPrivateKey(sealed, KEK, { kid: 'kid-b', algorithm: 'RS256' }), configError('GATEHOUSE_KEY_ENCRYPTION_KEY'));
    assert.throws(() => openPrivateKey(sealed, KEK, { kid: 'kid-a', algorithm: 'PS256' }), configError('GATEHOUSE_KEY_ENCRYPTION_KEY'));
    // A truncated tag (GCM would take 4 bytes) is refused too.
    const [prefix = '', iv = '', tag = '', body = ''] = sealed.split(/(?<=sealed:v2:)|\./);
    const shortTag = Buffer.from(tag, 'base64url').subarray(0, 4).toString('base64url');
    assert.throws(() => openPrivateKey(`${prefix}${iv}.${shortTag}.${body}`, KEK, { kid: 'kid-a', algorithm: 'RS256' }), configError('GATEHOUSE_KEY_ENCRYPTION_KEY'));
  });

  it('still opens keys sealed by the previous version (sealed:v1:, unbound)', async () => {
    await withStore(async (store) => {
      const config = configWith({ keyEncryptionKey: KEK });
      const legacy = plantedKey('ES256', (jwk) => sealUnbound(jwk, KEK), { activatesAt: T0 });
      await store.insertSigningKey(legacy);
      const ring = await loadKeyRing(store, config, T0 + 1);
      assert.equal(ring.signing.kid, legacy.kid);
      await assert.rejects(loadKeyRing(store, configWith({ keyEncryptionKey: 'w'.repeat(40) }), T0 + 1), configError('GATEHOUSE_KEY_ENCRYPTION_KEY'));
    });
  });

  it('refuses a stored key whose kid is not its own key', async () => {
    await withStore(async (store) => {
      const planted = plantedKey('ES256', (jwk) => jwk, { activatesAt: T0 });
      await store.insertSigningKey({ ...planted, kid: 'someone-elses-kid' });
      await assert.rejects(loadKeyRing(store, configWith({}), T0 + 1), configError('someone-elses-kid'));
    });
  });

  it('keys rotate refuses, changing nothing, when the stored keys do not open with the settings in force', async () => {
    await withStore(async (store) => {
      await ensureSigningKey(store, configWith({ keyEncryptionKey: KEK }), T0);
      const before = await store.listSigningKeys();
      for (const settings of [{}, { keyEncryptionKey: 'w'.repeat(40) }]) {
        await assert.rejects(rotateSigningKey(store, configWith(settings), T0 + 1000), configError('GATEHOUSE_KEY_ENCRYPTION_KEY'));
        assert.deepEqual(await store.listSigningKeys(), before, 'no key added, none rescheduled');
      }
      const rotated = await rotateSigningKey(store, configWith({ keyEncryptionKey: KEK }), T0 + 1000);
      assert.ok(rotated.privateKey.startsWith('sealed:v2:'));
    });
    await withStore(async (store) => {
      await ensureSigningKey(store, configWith({}), T0);
      const before = await store.listSigningKeys();
      await assert.rejects(rotateSigningKey(store, configWith({ keyEncryptionKey: KEK }), T0 + 1000), configError('GATEHOUSE_KEY_ENCRYPTION_KEY'));
      assert.deepEqual(await store.listSigningKeys(), before);
    });
  });

  it('prepare refuses to add a key of a new algorithm next to keys it cannot open', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      await prepare(configWith({ dataDir: database.dataDir, keyEncryptionKey: KEK }));
      await assert.rejects(prepare(configWith({ dataDir: database.dataDir, algorithm: 'EdDSA' })), configError('GATEHOUSE_KEY_ENCRYPTION_KEY'));
      const store = await openStore({ databaseUrl: undefined, dataDir: database.dataDir });
      try {
        assert.deepEqual((await store.listSigningKeys()).map((key) => key.algorithm), ['ES256'], 'no unencrypted key was stored');
      } finally {
        await store.close();
      }
    } finally {
      await database.drop();
    }
  });
});

describe('rotation schedule (frozen clock)', () => {
  const lifetimes = { accessTokenLifetime: 300, refreshTokenLifetime: 86_400, leeway: 5 } as const;

  it('switches no sooner than every serving process has reloaded the keys, even with no pre-publish window', () => {
    assert.ok(KEY_PROPAGATION_MS > KEY_RELOAD_MS);
    const { switchAt } = rotationSchedule({ ...lifetimes, keyPrepublish: 0 }, T0);
    assert.equal(switchAt, T0 + KEY_PROPAGATION_MS);
    assert.equal(rotationSchedule({ ...lifetimes, keyPrepublish: 3600 }, T0).switchAt, T0 + 3600_000);
  });

  it('retires the old key only after whatever a not-yet-reloaded process signs with it has expired', () => {
    const { switchAt, retireAt } = rotationSchedule({ ...lifetimes, keyPrepublish: 3600 }, T0);
    assert.equal(retireAt, switchAt + KEY_PROPAGATION_MS + (86_400 + 5) * 1000);
    // Access tokens outliving refresh tokens (an odd setting) count too.
    const longAccess = rotationSchedule({ accessTokenLifetime: 7 * 86_400, refreshTokenLifetime: 3600, leeway: 0, keyPrepublish: 3600 }, T0);
    assert.equal(longAccess.retireAt, longAccess.switchAt + KEY_PROPAGATION_MS + 7 * 86_400_000);
  });

  for (const [name, lifetime] of [['refresh', { accessTokenLifetime: 300, refreshTokenLifetime: 3600 }], ['access', { accessTokenLifetime: 7200, refreshTokenLifetime: 3600 }]] as const) {
    it(`a ${name} token the old key signs a reload interval after the switch verifies until it expires`, async () => {
      await withStore(async (store) => {
        const config: Config = configWith({ ...lifetime, keyPrepublish: 600, leeway: 0 });
        await ensureSigningKey(store, config, T0);
        const old = await loadKeyRing(store, config, T0);
        await rotateSigningKey(store, config, T0);
        const oldRow = (await store.listSigningKeys()).find((key) => key.kid === old.signing.kid);
        assert.ok(oldRow?.deactivatedAt !== null && oldRow?.deactivatedAt !== undefined);
        // A process that last reloaded just before the switch still holds `old` a minute later.
        const signedAt = (oldRow.deactivatedAt + KEY_RELOAD_MS) / 1000;
        const seconds = name === 'refresh' ? config.refreshTokenLifetime : config.accessTokenLifetime;
        const token = signToken(old, buildClaims({ type: name, userId: 1, familyId: 'f', jti: 'j', now: signedAt, lifetimeSeconds: seconds }));
        const lastSecond = signedAt + seconds - 1;
        const ring = await loadKeyRing(store, config, lastSecond * 1000);
        assert.equal((await verifyToken(token, { ring, type: name, now: lastSecond, leeway: 0 })).jti, 'j');
      });
    });
  }

  it('a key of a replaced algorithm stays published as long as a rotated one would', async () => {
    await withStore(async (store) => {
      await ensureSigningKey(store, configWith({ algorithm: 'ES256' }), T0);
      const config = configWith({ algorithm: 'EdDSA', accessTokenLifetime: 7200, refreshTokenLifetime: 3600, leeway: 2 });
      await ensureSigningKey(store, config, T0 + 1000);
      const old = (await store.listSigningKeys()).find((key) => key.algorithm === 'ES256');
      assert.equal(old?.retiresAt, T0 + 1000 + KEY_PROPAGATION_MS + (7200 + 2) * 1000);
    });
  });
});

describe('periodic key reload', () => {
  it('keeps the ring in force on a failed reload, logs it once, and logs the recovery', async () => {
    await withStore(async (store) => {
      const config = configWith({ keyEncryptionKey: KEK });
      await ensureSigningKey(store, config, Date.now());
      let ring: KeyRing = await loadKeyRing(store, config, Date.now());
      const first = ring;
      const lines: Array<{ level: string; fields: Record<string, unknown> }> = [];
      const log = {
        error: (fields: Record<string, unknown>) => lines.push({ level: 'error', fields }),
        info: (fields: Record<string, unknown>) => lines.push({ level: 'info', fields }),
      };
      const planted = plantedKey('ES256', (jwk) => jwk, { createdAt: Date.now(), activatesAt: Date.now() });
      await store.insertSigningKey(planted);
      const timer = reloadKeyRingPeriodically(store, config, { get: () => ring, set: (next) => (ring = next) }, log, { intervalMs: 20 });
      try {
        await sleep(300);
        assert.equal(ring, first, 'the planted key never signs');
        assert.deepEqual(lines.map((l) => [l.level, l.fields.event]), [['error', 'key_reload_failed']]);
        assert.match(String(lines[0]?.fields.reason), /GATEHOUSE_KEY_ENCRYPTION_KEY/);
        assert.ok(!String(lines[0]?.fields.reason).includes(planted.privateKey.slice(20, 60)));
        await removeKey(store, planted.kid, Date.now());
        await sleep(300);
        assert.deepEqual(lines.map((l) => l.fields.event), ['key_reload_failed', 'key_reload_recovered']);
        assert.notEqual(ring, first, 'a good reload is swapped in');
        assert.equal(ring.signing.kid, first.signing.kid);
      } finally {
        clearInterval(timer);
      }
    });
  });
});
