import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ALGORITHMS, type Algorithm } from '../src/config/schema.js';
import { configWith } from '../src/config/load-config.js';
import { isGatehouseError } from '../src/errors.js';
import { ensureSigningKey } from '../src/keys/ensure-signing-key.js';
import { loadKeyRing } from '../src/keys/load-key-ring.js';
import { keyState, rotateSigningKey } from '../src/keys/rotate-signing-key.js';
import { prepare } from '../src/runtime.js';
import { openStore } from '../src/store/open-store.js';
import { buildClaims } from '../src/tokens/claims.js';
import { jwksOf } from '../src/tokens/jwks.js';
import { signToken } from '../src/tokens/sign-token.js';
import { verifyToken } from '../src/tokens/verify-token.js';
import { createTestDatabase } from './support/databases.js';
import { decodeJwt, startTestApp } from './support/test-app.js';

const HMAC_BYTES: Partial<Record<Algorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };
const PRIVATE_MEMBERS = ['d', 'k', 'p', 'q', 'dp', 'dq', 'qi', 'oth'];

function expectConfigError(setting: string, secretValue?: string) {
  return (error: unknown) => {
    assert.ok(isGatehouseError(error), String(error));
    assert.equal(error.code, 'config_invalid');
    assert.match(error.message, new RegExp(setting));
    if (secretValue !== undefined) assert.ok(!error.message.includes(secretValue));
    return true;
  };
}

async function withTempStore<T>(run: (options: { dataDir: string }) => Promise<T>): Promise<T> {
  const database = await createTestDatabase('sqlite');
  try {
    return await run({ dataDir: database.dataDir });
  } finally {
    await database.drop();
  }
}

describe('signing algorithms', () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: logs in, protects the API, and publishes only public keys`, async () => {
      const bytes = HMAC_BYTES[algorithm];
      const t = await startTestApp('sqlite', { algorithm, ...(bytes ? { signingKey: randomBytes(bytes).toString('base64url').slice(0, bytes) } : {}) });
      try {
        assert.equal((await t.request('POST', '/api/users/', { username: 'algo', password: 'password-123' })).statusCode, 201);
        const { access } = await t.login('algo', 'password-123');
        const { header } = decodeJwt(access);
        assert.equal(header.alg, algorithm);
        assert.equal(typeof header.kid, 'string');
        assert.equal((await t.request('GET', '/api/me/', undefined, { authorization: `Bearer ${access}` })).statusCode, 200);
        const jwks = (await t.request('GET', '/.well-known/jwks.json')).json<{ keys: Record<string, unknown>[] }>();
        if (bytes) assert.deepEqual(jwks.keys, []);
        else {
          assert.equal(jwks.keys.length, 1);
          const [key] = jwks.keys;
          assert.equal(key?.kid, header.kid);
          assert.equal(key?.alg, algorithm);
          assert.equal(key?.use, 'sig');
          for (const member of PRIVATE_MEMBERS) assert.equal(key?.[member], undefined, member);
        }
      } finally {
        await t.close();
      }
    });
  }
});

describe('configured keys', () => {
  it('accepts a PEM private key and a JWK private key', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const jwk = JSON.stringify(privateKey.export({ format: 'jwk' }));
    for (const signingKey of [pem, jwk]) {
      const t = await startTestApp('sqlite', { algorithm: 'ES384', signingKey });
      try {
        await t.request('POST', '/api/users/', { username: 'pem', password: 'password-123' });
        const { access } = await t.login('pem', 'password-123');
        assert.equal(decodeJwt(access).header.alg, 'ES384');
      } finally {
        await t.close();
      }
    }
  });

  it('refuses weak or mismatched keys at start, naming the setting but not the key', async () => {
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const publicOnly = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const cases: Array<[Algorithm, string]> = [
      ['HS256', 'x'.repeat(31)],
      ['HS384', 'y'.repeat(47)],
      ['HS512', 'z'.repeat(63)],
      ['RS256', rsa1024],
      ['ES384', p256],
      ['EdDSA', publicOnly],
      ['EdDSA', p256],
    ];
    await withTempStore(async ({ dataDir }) => {
      for (const [algorithm, signingKey] of cases) {
        await assert.rejects(prepare(configWith({ algorithm, signingKey, dataDir })), expectConfigError('GATEHOUSE_SIGNING_KEY', signingKey.length > 60 ? signingKey.slice(40, 60) : signingKey));
      }
      await assert.rejects(prepare(configWith({ algorithm: 'HS256', dataDir })), expectConfigError('GATEHOUSE_SIGNING_KEY'));
    });
  });
});

describe('key rotation', () => {
  const HOUR = 3600_000;

  it('publishes the next key before it signs, and keeps the old one until its tokens expire', async () => {
    await withTempStore(async ({ dataDir }) => {
      const config = configWith({ dataDir, keyPrepublish: 3600, refreshTokenLifetime: 86400 });
      const store = await openStore({ databaseUrl: undefined, dataDir });
      try {
        await store.migrate();
        const t0 = Date.UTC(2030, 0, 1);
        await ensureSigningKey(store, config, t0);
        const before = await loadKeyRing(store, config, t0);
        const oldKid = before.signing.kid;
        const oldToken = signToken(before, buildClaims({ type: 'refresh', userId: 1, familyId: 'f', jti: 'j1', now: t0 / 1000, lifetimeSeconds: 86400 }));

        const next = await rotateSigningKey(store, config, t0);
        const during = await loadKeyRing(store, config, t0 + 1000, before);
        assert.equal(during.byKid.get(oldKid), before.byKid.get(oldKid), 'a reload reuses keys it already holds');
        assert.equal(during.signing.kid, oldKid, 'the old key still signs during the pre-publish window');
        assert.deepEqual(jwksOf(during).keys.map((k) => k.kid).sort(), [oldKid, next.kid].sort(), 'both are published');

        const after = await loadKeyRing(store, config, t0 + HOUR + 1000);
        assert.equal(after.signing.kid, next.kid, 'the new key signs after the window');
        const claims = await verifyToken(oldToken, { ring: after, type: 'refresh', now: t0 / 1000 + 3600 + 1, leeway: 0 });
        assert.equal(claims.jti, 'j1', 'tokens of the old key still verify');

        const states = new Map((await store.listSigningKeys()).map((k) => [k.kid, k]));
        assert.equal(keyState(states.get(next.kid)!, t0 + 1000), 'pending');
        assert.equal(keyState(states.get(oldKid)!, t0 + 1000), 'signing');
        assert.equal(keyState(states.get(oldKid)!, t0 + HOUR + 1000), 'verify-only');
        const retireAt = states.get(oldKid)!.retiresAt!;
        assert.ok(retireAt >= t0 + HOUR + 86400_000, 'retired only after every token it signed has expired');
        assert.equal(keyState(states.get(oldKid)!, retireAt + 1), 'retired');

        const late = await loadKeyRing(store, config, retireAt + 1);
        assert.deepEqual(jwksOf(late).keys.map((k) => k.kid), [next.kid]);
        assert.deepEqual(await store.deleteRetiredSigningKeys(retireAt + 1), [oldKid]);
      } finally {
        await store.close();
      }
    });
  });

  it('encrypts generated private keys at rest with GATEHOUSE_KEY_ENCRYPTION_KEY', async () => {
    await withTempStore(async ({ dataDir }) => {
      const keyEncryptionKey = 'k'.repeat(40);
      await prepare(configWith({ dataDir, keyEncryptionKey }));
      const store = await openStore({ databaseUrl: undefined, dataDir });
      try {
        const [stored] = await store.listSigningKeys();
        assert.ok(stored?.privateKey.startsWith('sealed:v2:'));
        assert.ok(!stored?.privateKey.includes('"d"'));
        await loadKeyRing(store, configWith({ dataDir, keyEncryptionKey }), Date.now());
        await assert.rejects(loadKeyRing(store, configWith({ dataDir }), Date.now()), expectConfigError('GATEHOUSE_KEY_ENCRYPTION_KEY'));
        await assert.rejects(loadKeyRing(store, configWith({ dataDir, keyEncryptionKey: 'w'.repeat(40) }), Date.now()), expectConfigError('GATEHOUSE_KEY_ENCRYPTION_KEY'));
      } finally {
        await store.close();
      }
    });
  });
});
