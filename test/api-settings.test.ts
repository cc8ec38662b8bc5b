import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/load-config.js';
import { isGatehouseError } from '../src/errors.js';
import { prepare } from '../src/runtime.js';
import { configWith } from '../src/config/load-config.js';
import { createTestDatabase } from './support/databases.js';
import { checkedRuntime, decodeJwt, startTestApp, type TestApp } from './support/test-app.js';

const PASSWORD = 'correct horse battery';

async function withApp(overrides: Parameters<typeof startTestApp>[1], run: (t: TestApp) => Promise<void>): Promise<void> {
  const t = await startTestApp('sqlite', overrides);
  try {
    await run(t);
  } finally {
    await t.close();
  }
}

async function register(t: TestApp, username: string): Promise<void> {
  assert.equal((await t.request('POST', '/api/users/', { username, password: PASSWORD })).statusCode, 201);
}

describe('settings', () => {
  it('reads lifetimes from durations like 45s and 7d', async () => {
    const config = loadConfig({ GATEHOUSE_ACCESS_TOKEN_LIFETIME: '45s', GATEHOUSE_REFRESH_TOKEN_LIFETIME: '7d' });
    await withApp({ accessTokenLifetime: config.accessTokenLifetime, refreshTokenLifetime: config.refreshTokenLifetime }, async (t) => {
      await register(t, 'life');
      const { access, refresh } = await t.login('life', PASSWORD);
      const a = decodeJwt(access).payload;
      const r = decodeJwt(refresh).payload;
      assert.equal(Number(a.exp) - Number(a.iat), 45);
      assert.equal(Number(r.exp) - Number(r.iat), 7 * 86400);
    });
  });

  it('answers 503 in the error shape when a request runs past GATEHOUSE_REQUEST_TIMEOUT', { timeout: 60_000 }, async () => {
    // An unknown user's login hashes a dummy password at the configured cost: ~64 MiB × 100
    // passes takes seconds, past a 1 s timeout.
    await withApp({ requestTimeout: 1, argon2MemoryKib: 65_536, argon2Iterations: 100 }, async (t) => {
      const started = Date.now();
      const response = await t.request('POST', '/api/token/', { username: 'nobody', password: PASSWORD });
      assert.equal(response.statusCode, 503);
      assert.equal((response.json() as { code: string }).code, 'service_unavailable');
      assert.ok(Date.now() - started >= 1000, 'not before the timeout');
    });
  });

  it('signs with HS256 and a configured secret, publishing no keys', async () => {
    const secret = randomBytes(32).toString('hex');
    await withApp({ algorithm: 'HS256', signingKey: secret }, async (t) => {
      await register(t, 'hmac');
      const { access } = await t.login('hmac', PASSWORD);
      assert.equal(decodeJwt(access).header.alg, 'HS256');
      assert.equal(typeof decodeJwt(access).header.kid, 'string');
      assert.deepEqual((await t.request('GET', '/.well-known/jwks.json')).json(), { keys: [] });
      assert.equal((await t.request('GET', '/api/me/', undefined, { authorization: `Bearer ${access}` })).statusCode, 200);
    });
  });

  it('refuses to start with an HS256 secret shorter than 32 bytes, naming the setting only', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const secret = 'short-secret-value';
      const config = configWith({ algorithm: 'HS256', signingKey: secret, dataDir: database.dataDir, databaseUrl: undefined });
      await assert.rejects(prepare(config), (error: unknown) => {
        assert.ok(isGatehouseError(error));
        assert.equal(error.code, 'config_invalid');
        assert.match(error.message, /GATEHOUSE_SIGNING_KEY/);
        assert.ok(!error.message.includes(secret));
        return true;
      });
    } finally {
      await database.drop();
    }
  });

  it('without rotation, refresh returns only a new access token and the refresh token stays usable', async () => {
    await withApp({ rotateRefreshTokens: false }, async (t) => {
      await register(t, 'norotate');
      const { refresh } = await t.login('norotate', PASSWORD);
      for (let i = 0; i < 2; i++) {
        const response = await t.request('POST', '/api/token/refresh/', { refresh });
        assert.equal(response.statusCode, 200);
        assert.deepEqual(Object.keys(response.json()), ['access']);
      }
    });
  });

  it('closes registration when configured', async () => {
    await withApp({ registration: false }, async (t) => {
      const response = await t.request('POST', '/api/users/', { username: 'nobody', password: PASSWORD });
      assert.equal(response.statusCode, 403);
      assert.equal(response.json().code, 'registration_closed');
    });
  });

  it('rate-limits logins per address and username with 429 rate_limited', async () => {
    await withApp({ loginRateLimit: { max: 3, windowSeconds: 60 } }, async (t) => {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await t.request('POST', '/api/token/', { username: 'target', password: 'guess' })).statusCode);
      assert.deepEqual(statuses, [401, 401, 401, 429]);
      const limited = await t.request('POST', '/api/token/', { username: 'target', password: 'guess' });
      assert.equal(limited.json().code, 'rate_limited');
      assert.ok(limited.headers['retry-after']);
      // Another username from the same address is not locked out.
      assert.equal((await t.request('POST', '/api/token/', { username: 'other', password: 'guess' })).statusCode, 401);
    });
  });

  it('rehashes a password on login when the argon2 parameters changed', async () => {
    await withApp({ argon2Iterations: 1 }, async (t) => {
      await register(t, 'rehash');
      const before = await t.runtime.store.findUserByUsername('rehash');
      assert.match(String(before?.passwordHash), /t=1/);
      const stronger = await startTestAppOnSameDatabase(t, { argon2Iterations: 2 });
      try {
        await stronger.login('rehash', PASSWORD);
        const after = await stronger.runtime.store.findUserByUsername('rehash');
        assert.match(String(after?.passwordHash), /^\$argon2id\$v=19\$m=1024,t=2,p=1\$/);
      } finally {
        await stronger.runtime.close();
      }
    });
  });

  it('accepts an imported Django pbkdf2_sha256 hash and replaces it with argon2id', async () => {
    await withApp({}, async (t) => {
      const salt = 'abcdefghijkl';
      const digest = pbkdf2Sync(PASSWORD, salt, 1000, 32, 'sha256').toString('base64');
      await t.runtime.store.createUser({ username: 'django', passwordHash: `pbkdf2_sha256$1000$${salt}$${digest}`, dateJoined: Date.now() });
      assert.equal((await t.request('POST', '/api/token/', { username: 'django', password: 'wrong password' })).statusCode, 401);
      await t.login('django', PASSWORD);
      const user = await t.runtime.store.findUserByUsername('django');
      assert.match(String(user?.passwordHash), /^\$argon2id\$/);
      await t.login('django', PASSWORD);
    });
  });
});

/** A second process's view of the same database, with other settings. */
async function startTestAppOnSameDatabase(t: TestApp, overrides: Parameters<typeof startTestApp>[1]) {
  const runtime = await checkedRuntime(configWith({ ...t.config, ...overrides }));
  return {
    runtime,
    async login(username: string, password: string) {
      const response = await runtime.app.inject({ method: 'POST', url: '/api/token/', payload: { username, password } });
      assert.equal(response.statusCode, 200);
    },
  };
}

describe('unsafe settings', () => {
  it('refuses to start, naming each setting to change', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const cases: Array<[Parameters<typeof configWith>[0], string]> = [
        [{ corsOrigins: ['*'] }, 'GATEHOUSE_CORS_ORIGINS'],
        [{ keyEncryptionKey: 'short' }, 'GATEHOUSE_KEY_ENCRYPTION_KEY'],
        [{ introspectionClients: ['rs:tiny'] }, 'GATEHOUSE_INTROSPECTION_CLIENTS'],
        [{ trustedProxies: ['0.0.0.0/0'] }, 'GATEHOUSE_TRUSTED_PROXIES'],
      ];
      for (const [overrides, setting] of cases) {
        await assert.rejects(prepare(configWith({ ...overrides, dataDir: database.dataDir })), (error: unknown) => {
          assert.ok(isGatehouseError(error));
          assert.equal(error.code, 'config_invalid');
          assert.match(error.message, new RegExp(setting));
          assert.ok(!error.message.includes('tiny') && !error.message.includes('short'));
          return true;
        });
      }
    } finally {
      await database.drop();
    }
  });
});
