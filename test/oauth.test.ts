import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { importDjangoUsers } from '../src/users/import-django-users.js';
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
    assert.equal(body.jwks_uri, 'http://auth.local/.well-known/jwks.json');
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
