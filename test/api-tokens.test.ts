import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from './support/databases.js';
import { decodeJwt, startTestApp, type TestApp } from './support/test-app.js';

let counter = 0;
const unique = (prefix: string) => `${prefix}${++counter}_${process.pid}`;
const PASSWORD = 'correct horse battery';

for (const dialect of DIALECTS) {
  describe(`token API (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      // Strict rotation (no grace), as simplejwt rotates: test/api-sessions.test.ts covers the grace.
      t = await startTestApp(dialect, { rotationGrace: 0 });
    });
    after(async () => {
      await t?.close();
    });

    async function newUser(password = PASSWORD): Promise<string> {
      const username = unique('user');
      const response = await t.request('POST', '/api/users/', { username, password });
      assert.equal(response.statusCode, 201);
      assert.deepEqual(Object.keys(response.json()).sort(), ['id', 'username']);
      return username;
    }

    it('logs in with JSON and returns simplejwt-shaped access and refresh tokens', async () => {
      const username = await newUser();
      const response = await t.request('POST', '/api/token/', { username, password: PASSWORD });
      assert.equal(response.statusCode, 200);
      const body = response.json<{ access: string; refresh: string }>();
      assert.deepEqual(Object.keys(body).sort(), ['access', 'refresh']);
      const access = decodeJwt(body.access);
      const refresh = decodeJwt(body.refresh);
      assert.equal(access.header.alg, 'ES256');
      assert.equal(access.header.typ, 'JWT');
      assert.equal(typeof access.header.kid, 'string');
      assert.equal(access.payload.token_type, 'access');
      assert.equal(refresh.payload.token_type, 'refresh');
      for (const claims of [access.payload, refresh.payload]) {
        for (const name of ['exp', 'iat', 'jti', 'user_id', 'sub']) assert.ok(name in claims, `${name} present`);
        assert.match(String(claims.jti), /^[0-9a-f]{32}$/);
        assert.equal(claims.sub, String(claims.user_id));
      }
      assert.equal(Number(access.payload.exp) - Number(access.payload.iat), 300, 'access lifetime 5 minutes');
      assert.equal(Number(refresh.payload.exp) - Number(refresh.payload.iat), 86400, 'refresh lifetime 24 hours');
    });

    it('accepts form-encoded bodies and paths without the trailing slash', async () => {
      const username = await newUser();
      const form = await t.request('POST', '/api/token', `username=${username}&password=${encodeURIComponent(PASSWORD)}`, {
        'content-type': 'application/x-www-form-urlencoded',
      });
      assert.equal(form.statusCode, 200);
      const me = await t.request('GET', '/api/me', undefined, { authorization: `Bearer ${form.json().access}` });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().username, username);
    });

    it('answers a wrong password and an unknown user identically, with WWW-Authenticate', async () => {
      const username = await newUser();
      const wrong = await t.request('POST', '/api/token/', { username, password: 'not the password' });
      const unknown = await t.request('POST', '/api/token/', { username: unique('ghost'), password: PASSWORD });
      for (const response of [wrong, unknown]) {
        assert.equal(response.statusCode, 401);
        assert.equal(response.headers['www-authenticate'], 'Bearer realm="api"');
        assert.deepEqual(response.json(), { detail: 'No active account found with the given credentials' });
      }
    });

    it('records last_login on login', async () => {
      const username = await newUser();
      const { access } = await t.login(username, PASSWORD);
      const me = (await t.request('GET', '/api/me/', undefined, { authorization: `Bearer ${access}` })).json();
      assert.equal(typeof me.last_login, 'string');
      assert.ok(Date.parse(me.last_login) >= Date.parse(me.date_joined));
    });

    it('protects /api/me/ and refuses a refresh token there', async () => {
      const username = await newUser();
      const { access, refresh } = await t.login(username, PASSWORD);
      const ok = await t.request('GET', '/api/me/', undefined, { authorization: `Bearer ${access}` });
      assert.equal(ok.statusCode, 200);
      assert.deepEqual(Object.keys(ok.json()).sort(), ['date_joined', 'id', 'is_active', 'last_login', 'username']);

      const none = await t.request('GET', '/api/me/');
      assert.equal(none.statusCode, 401);
      assert.deepEqual(none.json(), { detail: 'Authentication credentials were not provided.' });
      assert.equal(none.headers['www-authenticate'], 'Bearer realm="api"');

      const wrongType = await t.request('GET', '/api/me/', undefined, { authorization: `Bearer ${refresh}` });
      assert.equal(wrongType.statusCode, 401);
      const body = wrongType.json();
      assert.equal(body.code, 'token_not_valid');
      assert.equal(body.messages[0].token_class, 'AccessToken');
      assert.equal(body.messages[0].token_type, 'access');
    });

    it('refuses an access token where a refresh token is expected', async () => {
      const { access } = await t.login(await newUser(), PASSWORD);
      for (const path of ['/api/token/refresh/', '/api/token/blacklist/']) {
        const response = await t.request('POST', path, { refresh: access });
        assert.equal(response.statusCode, 401);
        assert.equal(response.json().code, 'token_not_valid');
      }
    });

    it('rotates refresh tokens, and reuse of a rotated one revokes the whole login', async () => {
      const { access, refresh } = await t.login(await newUser(), PASSWORD);
      const first = await t.request('POST', '/api/token/refresh/', { refresh });
      assert.equal(first.statusCode, 200);
      const next = first.json<{ access: string; refresh: string }>();
      assert.deepEqual(Object.keys(next).sort(), ['access', 'refresh']);
      assert.notEqual(next.refresh, refresh);

      const replay = await t.request('POST', '/api/token/refresh/', { refresh });
      assert.equal(replay.statusCode, 401);
      assert.equal(replay.json().code, 'token_not_valid');
      assert.equal(replay.headers['www-authenticate'], 'Bearer realm="api"');

      // The thief's replay revoked the family: the legitimate successor and both access tokens die.
      assert.equal((await t.request('POST', '/api/token/refresh/', { refresh: next.refresh })).statusCode, 401);
      for (const token of [access, next.access]) {
        assert.equal((await t.request('GET', '/api/me/', undefined, { authorization: `Bearer ${token}` })).statusCode, 401);
      }
    });

    it('counts a detected reuse once, as reused rather than as a failure', async () => {
      const { metricsText } = await import('../src/metrics/metrics.js');
      const count = async (outcome: string) => {
        const { body } = await metricsText();
        return Number(new RegExp(`gatehouse_token_refreshes_total\\{outcome="${outcome}"\\} (\\d+)`).exec(body)?.[1] ?? 0);
      };
      const { refresh } = await t.login(await newUser(), PASSWORD);
      assert.equal((await t.request('POST', '/api/token/refresh/', { refresh })).statusCode, 200);
      const [reusedBefore, failedBefore] = [await count('reused'), await count('failure')];
      assert.equal((await t.request('POST', '/api/token/refresh/', { refresh })).statusCode, 401);
      assert.equal(await count('reused'), reusedBefore + 1);
      assert.equal(await count('failure'), failedBefore);
    });

    it('gives new tokens to exactly one of 20 concurrent refreshes of one token', async () => {
      const { refresh } = await t.login(await newUser(), PASSWORD);
      const responses = await Promise.all(Array.from({ length: 20 }, () => t.request('POST', '/api/token/refresh/', { refresh })));
      const statuses = responses.map((r) => r.statusCode).sort();
      assert.equal(statuses.filter((s) => s === 200).length, 1);
      assert.equal(statuses.filter((s) => s === 401).length, 19);
      // The losers were replays: the family is revoked, so the winner's successor is dead too.
      const winner = responses.find((r) => r.statusCode === 200)?.json<{ refresh: string }>();
      assert.ok(winner);
      assert.equal((await t.request('POST', '/api/token/refresh/', { refresh: winner.refresh })).statusCode, 401);
    });

    it('blacklists on logout: the refresh token and the login\'s access tokens stop working', async () => {
      const { access, refresh } = await t.login(await newUser(), PASSWORD);
      const out = await t.request('POST', '/api/token/blacklist/', { refresh });
      assert.equal(out.statusCode, 200);
      assert.deepEqual(out.json(), {});
      assert.equal((await t.request('POST', '/api/token/refresh/', { refresh })).statusCode, 401);
      assert.equal((await t.request('GET', '/api/me/', undefined, { authorization: `Bearer ${access}` })).statusCode, 401);
      assert.equal((await t.request('POST', '/api/token/blacklist/', { refresh })).statusCode, 401);
    });

    it('logs out everywhere with /api/token/logout-all/', async () => {
      const username = await newUser();
      const a = await t.login(username, PASSWORD);
      const b = await t.login(username, PASSWORD);
      assert.equal((await t.request('POST', '/api/token/logout-all/', undefined, { authorization: `Bearer ${a.access}` })).statusCode, 200);
      for (const pair of [a, b]) {
        assert.equal((await t.request('POST', '/api/token/refresh/', { refresh: pair.refresh })).statusCode, 401);
        assert.equal((await t.request('GET', '/api/me/', undefined, { authorization: `Bearer ${pair.access}` })).statusCode, 401);
      }
    });

    it('verifies tokens: 200 {} for valid ones, 401 token_not_valid otherwise', async () => {
      const { access, refresh } = await t.login(await newUser(), PASSWORD);
      for (const token of [access, refresh]) {
        const response = await t.request('POST', '/api/token/verify/', { token });
        assert.equal(response.statusCode, 200);
        assert.deepEqual(response.json(), {});
      }
      const tampered = `${access.slice(0, -4)}AAAA`;
      const bad = await t.request('POST', '/api/token/verify/', { token: tampered });
      assert.equal(bad.statusCode, 401);
      assert.deepEqual(Object.keys(bad.json()).sort(), ['code', 'detail']);
      assert.equal(bad.json().code, 'token_not_valid');
    });

    it('stops a deactivated user from logging in, refreshing and calling the API', async () => {
      const username = await newUser();
      const { access, refresh } = await t.login(username, PASSWORD);
      const user = await t.runtime.store.findUserByUsername(username);
      assert.ok(user);
      await t.runtime.store.setUserActive(user.id, false, Date.now());
      assert.equal((await t.request('POST', '/api/token/', { username, password: PASSWORD })).statusCode, 401);
      assert.equal((await t.request('POST', '/api/token/refresh/', { refresh })).statusCode, 401);
      const me = await t.request('GET', '/api/me/', undefined, { authorization: `Bearer ${access}` });
      assert.equal(me.statusCode, 401);
    });

    it('registers users, refusing duplicates and weak passwords field by field', async () => {
      const username = await newUser();
      const duplicate = await t.request('POST', '/api/users/', { username, password: PASSWORD });
      assert.equal(duplicate.statusCode, 400);
      assert.ok(Array.isArray(duplicate.json().username));
      const short = await t.request('POST', '/api/users/', { username: unique('short'), password: 'abc' });
      assert.equal(short.statusCode, 400);
      assert.ok(Array.isArray(short.json().password));
      const common = await t.request('POST', '/api/users/', { username: unique('common'), password: 'password1' });
      assert.equal(common.statusCode, 400);
      assert.deepEqual(Object.keys(common.json()), ['password']);
      const badName = await t.request('POST', '/api/users/', { username: 'no spaces allowed', password: PASSWORD });
      assert.equal(badName.statusCode, 400);
      assert.ok(Array.isArray(badName.json().username));
    });

    it('serves JWKS with public keys only, and health endpoints', async () => {
      const jwks = await t.request('GET', '/.well-known/jwks.json');
      assert.equal(jwks.statusCode, 200);
      const keys = jwks.json<{ keys: Record<string, unknown>[] }>().keys;
      assert.ok(keys.length >= 1);
      for (const key of keys) {
        assert.equal(key.d, undefined);
        assert.equal(key.use, 'sig');
        assert.equal(key.alg, 'ES256');
      }
      assert.equal((await t.request('GET', '/healthz')).statusCode, 200);
      assert.equal((await t.request('GET', '/readyz')).statusCode, 200);
    });
  });
}
