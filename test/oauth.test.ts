import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { configWith } from '../src/config/load-config.js';
import { isGatehouseError } from '../src/errors.js';
import { prepare } from '../src/runtime.js';
import { importDjangoUsers } from '../src/users/import-django-users.js';
import { createTestDatabase } from './support/databases.js';
import { decodeJwt, startTestApp, type TestApp } from './support/test-app.js';

const PASSWORD = 'password-1234';
const CLIENT = 'resource-server';
const CLIENT_SECRET = 'a-long-client-secret-for-tests';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('OAuth metadata, revocation, introspection, claims', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite', { issuer: 'https://auth.example.test', audience: 'api.example.test', introspectionClients: [`${CLIENT}:${CLIENT_SECRET}`] });
    await t.request('POST', '/api/users/', { username: 'carol', password: PASSWORD });
  });
  after(async () => {
    await t?.close();
  });

  it('writes iss and aud into tokens when configured', async () => {
    const { access, refresh } = await t.login('carol', PASSWORD);
    for (const token of [access, refresh]) {
      assert.equal(decodeJwt(token).payload.iss, 'https://auth.example.test');
      assert.equal(decodeJwt(token).payload.aud, 'api.example.test');
    }
  });

  it('publishes RFC 8414 metadata', async () => {
    const response = await t.request('GET', '/.well-known/oauth-authorization-server', undefined, { host: 'auth.local' });
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(body.issuer, 'https://auth.example.test');
    assert.equal(body.jwks_uri, 'https://auth.example.test/.well-known/jwks.json', 'built from the configured issuer, not the request');
    for (const name of ['token_endpoint', 'revocation_endpoint', 'introspection_endpoint']) assert.equal(typeof body[name], 'string');
    assert.deepEqual(body.access_token_signing_alg_values_supported, ['ES256']);
    assert.deepEqual((await t.request('GET', '/.well-known/openid-configuration', undefined, { host: 'auth.local' })).json(), body);
  });

  it('revokes a login with RFC 7009, answering 200 even for junk', async () => {
    const { access, refresh } = await t.login('carol', PASSWORD);
    assert.equal((await t.request('POST', '/oauth/revoke', `token=${access}`, form)).statusCode, 200);
    assert.equal((await t.request('POST', '/api/token/refresh/', { refresh })).statusCode, 401);
    assert.equal((await t.request('POST', '/oauth/revoke', 'token=not-a-token', form)).statusCode, 200);
    const missing = await t.request('POST', '/oauth/revoke', '', form);
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().error, 'invalid_request');
  });

  it('introspects for authenticated resource servers only (RFC 7662)', async () => {
    const { access, refresh } = await t.login('carol', PASSWORD);
    const anonymous = await t.request('POST', '/oauth/introspect', `token=${access}`, form);
    assert.equal(anonymous.statusCode, 401);
    assert.match(String(anonymous.headers['www-authenticate']), /^Basic/);
    const wrong = await t.request('POST', '/oauth/introspect', `token=${access}`, { ...form, authorization: basic(CLIENT, 'wrong-secret') });
    assert.equal(wrong.statusCode, 401);
    const malformed = await t.request('POST', '/oauth/introspect', `token=${access}`, { ...form, authorization: basic(CLIENT, '%E0%A4%A') });
    assert.equal(malformed.statusCode, 401, 'malformed percent-encoding is a failed login, not a server error');

    const auth = { ...form, authorization: basic(CLIENT, CLIENT_SECRET) };
    const active = (await t.request('POST', '/oauth/introspect', `token=${access}`, auth)).json();
    assert.equal(active.active, true);
    assert.equal(active.token_type, 'access_token');
    assert.equal(active.username, 'carol');
    assert.equal((await t.request('POST', '/oauth/introspect', `token=${refresh}`, auth)).json().token_type, 'refresh_token');

    await t.request('POST', '/api/token/blacklist/', { refresh });
    assert.deepEqual((await t.request('POST', '/oauth/introspect', `token=${access}`, auth)).json(), { active: false });
    assert.deepEqual((await t.request('POST', '/oauth/introspect', 'token=junk', auth)).json(), { active: false });
  });

  it('puts per-user custom claims into access tokens without overriding reserved ones', async () => {
    const user = await t.runtime.store.findUserByUsername('carol');
    assert.ok(user);
    await t.runtime.store.setCustomClaims(user.id, { roles: ['admin'], user_id: 999, token_type: 'refresh' });
    const { access, refresh } = await t.login('carol', PASSWORD);
    const claims = decodeJwt(access).payload;
    assert.deepEqual(claims.roles, ['admin']);
    assert.equal(claims.user_id, user.id);
    assert.equal(claims.token_type, 'access');
    assert.equal(decodeJwt(refresh).payload.roles, undefined);
    await t.runtime.store.setCustomClaims(user.id, {});
  });

  it('imports Django users whose pbkdf2 and bcrypt_sha256 hashes keep working and are upgraded at login', async () => {
    const hash = `pbkdf2_sha256$1200$saltsalt$${pbkdf2Sync('django-pass', 'saltsalt', 1200, 32, 'sha256').toString('base64')}`;
    const dump = [
      { model: 'auth.user', pk: 7, fields: { username: 'dora', password: hash, is_active: true, last_login: '2024-05-01T10:00:00Z', date_joined: '2020-01-02T03:04:05Z' } },
      // Written by Django 3.2's BCryptSHA256PasswordHasher (rounds 4) for 'correct horse battery staple'.
      { model: 'auth.user', pk: 8, fields: { username: 'eve', password: 'bcrypt_sha256$$2b$04$rOPL8q/3MT/eJaTC4.uC/uzFR.cocqocxGVzE22SzTd9kFeIoCUVi', is_active: true, last_login: null, date_joined: '2021-01-01T00:00:00Z' } },
      { model: 'auth.user', pk: 10, fields: { username: 'gus', password: 'sha1$salt$0123456789abcdef0123456789abcdef01234567', is_active: true, last_login: null, date_joined: '2021-01-01T00:00:00Z' } },
      { model: 'auth.user', pk: 9, fields: { username: 'carol', password: hash, is_active: true, last_login: null, date_joined: '2021-01-01T00:00:00Z' } },
      { model: 'auth.group', pk: 1, fields: { name: 'staff' } },
    ];
    const report = await importDjangoUsers(t.runtime.store, dump, Date.now());
    assert.equal(report.imported, 3);
    assert.deepEqual(report.skippedExisting, ['carol']);
    assert.deepEqual(report.needPasswordReset, ['gus']);
    const dora = await t.runtime.store.findUserByUsername('dora');
    assert.equal(dora?.dateJoined, Date.parse('2020-01-02T03:04:05Z'));
    await t.login('dora', 'django-pass');
    assert.match(String((await t.runtime.store.findUserByUsername('dora'))?.passwordHash), /^\$argon2id\$/);
    assert.equal((await t.request('POST', '/api/token/', { username: 'eve', password: 'wrong horse' })).statusCode, 401);
    await t.login('eve', 'correct horse battery staple');
    assert.match(String((await t.runtime.store.findUserByUsername('eve'))?.passwordHash), /^\$argon2id\$/);
    await t.login('eve', 'correct horse battery staple');
  });
});

describe('OAuth metadata URLs never come from forwarded host headers', () => {
  const METADATA = '/.well-known/oauth-authorization-server';
  // app.inject comes from 127.0.0.1, a trusted proxy by default: the forwarded headers would be believed.
  const forged = { host: 'auth.local', 'x-forwarded-host': 'evil.example' };

  async function metadataWith(overrides: Parameters<typeof startTestApp>[1], headers: Record<string, string>) {
    const app = await startTestApp('sqlite', overrides);
    try {
      return await app.request('GET', METADATA, undefined, headers);
    } finally {
      await app.close();
    }
  }

  it('GATEHOUSE_ISSUER (an https URL) names every endpoint, cacheable by shared caches', async () => {
    const response = await metadataWith({ issuer: 'https://auth.example.com/' }, forged);
    assert.equal(response.statusCode, 200);
    assert.ok(!response.body.includes('evil.example'), response.body);
    assert.ok(!response.body.includes('auth.local'), response.body);
    const body = response.json();
    assert.equal(body.issuer, 'https://auth.example.com/');
    assert.equal(body.jwks_uri, 'https://auth.example.com/.well-known/jwks.json');
    assert.equal(body.token_endpoint, 'https://auth.example.com/api/token/');
    assert.equal(response.headers['cache-control'], 'public, max-age=300');
  });

  it('GATEHOUSE_PUBLIC_URL wins over the issuer, and serves a non-URL issuer', async () => {
    const response = await metadataWith({ issuer: 'gatehouse', publicUrl: 'https://id.example.com/auth/' }, forged);
    const body = response.json();
    assert.equal(body.issuer, 'gatehouse');
    assert.equal(body.jwks_uri, 'https://id.example.com/auth/.well-known/jwks.json');
    assert.equal(body.revocation_endpoint, 'https://id.example.com/auth/oauth/revoke');
    assert.equal(response.headers['cache-control'], 'public, max-age=300');
  });

  it('unconfigured: the request\'s own Host (not X-Forwarded-Host), and no cache may keep it', async () => {
    for (const overrides of [{}, { issuer: 'not-a-url' }]) {
      const response = await metadataWith(overrides, forged);
      assert.equal(response.statusCode, 200);
      assert.ok(!response.body.includes('evil.example'), response.body);
      assert.equal(response.json().jwks_uri, 'http://auth.local/.well-known/jwks.json');
      assert.equal(response.headers['cache-control'], 'no-store');
    }
  });

  it('unconfigured: a Host that is not a host name is refused with bad_request', async () => {
    const app = await startTestApp('sqlite');
    try {
      for (const host of ['evil.example/.well-known?', 'a b', 'user@evil.example']) {
        const response = await app.request('GET', METADATA, undefined, { host });
        assert.equal(response.statusCode, 400, host);
        assert.equal(response.json().code, 'bad_request');
      }
    } finally {
      await app.close();
    }
  });

  it('refuses to start with a GATEHOUSE_PUBLIC_URL that is not a plain http(s) URL, naming it', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      for (const publicUrl of ['auth.example.com', 'ftp://auth.example.com', 'https://user:secret@auth.example.com', 'https://auth.example.com/?x=1']) {
        await assert.rejects(prepare(configWith({ dataDir: database.dataDir, publicUrl })), (error: unknown) => {
          assert.ok(isGatehouseError(error));
          assert.equal(error.code, 'config_invalid');
          assert.match(error.message, /GATEHOUSE_PUBLIC_URL/);
          assert.ok(!error.message.includes('secret'), 'never the value');
          return true;
        });
      }
    } finally {
      await database.drop();
    }
  });
});
