import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, afterEach, before, describe, it, mock } from 'node:test';
import { createClient } from '../client/index.js';
import type { AuditTrail } from '../src/audit/audit-trail.js';
import { importDjangoUsers } from '../src/users/import-django-users.js';
import { PasswordHasher } from '../src/users/password-hasher.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js';
import { cliEnv, gatehouse } from './support/run-cli.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const PASSWORD = 'correct horse battery';
const NO_ACTIVE_ACCOUNT = { detail: 'No active account found with the given credentials' };
let counter = 0;
const unique = (prefix: string) => `${prefix}${++counter}x${process.pid}`;

/**
 * Counts the dummy-hash checks of every PasswordHasher (the runtime's included): the work an
 * unknown user's login costs, so that every failed login costs the same.
 */
function countDummyChecks(): { readonly count: () => number } {
  const prototype = PasswordHasher.prototype as unknown as { verifyDummy(password: string): Promise<void> };
  const spy = mock.method(prototype, 'verifyDummy');
  return { count: () => spy.mock.callCount() };
}

for (const dialect of DIALECTS) {
  describe(`hardening: usernames, passwords, field types (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
    });
    after(async () => {
      await t?.close();
    });
    afterEach(() => {
      mock.restoreAll();
    });

    async function signUp(username: string, password = PASSWORD) {
      return t.request('POST', '/api/users/', { username, password });
    }

    async function login(username: string, password = PASSWORD) {
      return t.request('POST', '/api/token/', { username, password });
    }

    describe('usernames', () => {
      it('a NUL byte in a username or password is a field error as DRF gives it, never a 500', async () => {
        for (const body of [
          { username: 'a\u0000b', password: PASSWORD },
          { username: 'alice', password: 'pass\u0000word' },
        ]) {
          for (const path of ['/api/token/', '/api/users/']) {
            const response = await t.request('POST', path, body);
            assert.equal(response.statusCode, 400, `${path} ${JSON.stringify(body)}`);
            assert.deepEqual(Object.keys(response.json()), [body.username.includes('\u0000') ? 'username' : 'password']);
          }
        }
      });

      it('a username no account can have answers exactly as an unknown user, after the same dummy check', async () => {
        const unknown = await login(unique('ghost'));
        assert.equal(unknown.statusCode, 401);
        const dummy = countDummyChecks();
        const invalid = [
          'x'.repeat(151),
          'two words',
          'evil\u202Eadmin', // right-to-left override
          '\u200Fadmin', // right-to-left mark
          'bell\u0007name',
          'tab\tname',
          'semi;colon',
        ];
        for (const username of invalid) {
          const response = await login(username);
          assert.equal(response.statusCode, 401, JSON.stringify(username));
          assert.deepEqual(response.json(), NO_ACTIVE_ACCOUNT);
          assert.equal(response.headers['www-authenticate'], unknown.headers['www-authenticate']);
        }
        assert.equal(dummy.count(), invalid.length);
      });

      it('refuses such usernames at sign-up on the username field', async () => {
        for (const username of ['x'.repeat(151), 'two words', 'evil\u202Eadmin', '\u200Fadmin', 'bell\u0007name', 'semi;colon']) {
          const response = await signUp(username);
          assert.equal(response.statusCode, 400, JSON.stringify(username));
          assert.deepEqual(Object.keys(response.json()), ['username']);
        }
        // At most 150 characters after NFKC, counted as characters: 𝒶 is two UTF-16 units and NFKC "a".
        const atLimit = await signUp('\u{1D4B6}'.repeat(150));
        assert.equal(atLimit.statusCode, 201);
        assert.equal(atLimit.json().username, 'a'.repeat(150));
        assert.equal((await signUp('\u{1D4B6}'.repeat(151))).statusCode, 400);
      });

      it('stores the NFKC form: a full-width look-alike of a taken name is a duplicate, and either form logs in', async () => {
        const name = unique('alice');
        assert.equal((await signUp(name)).statusCode, 201);
        const fullWidthA = `\uFF41${name.slice(1)}`; // ａ
        const lookAlike = await signUp(fullWidthA);
        assert.equal(lookAlike.statusCode, 400);
        assert.deepEqual(Object.keys(lookAlike.json()), ['username']);

        const fresh = unique('bob');
        const typed = `\uFF42${fresh.slice(1)}`; // ｂ
        const created = await signUp(typed);
        assert.equal(created.statusCode, 201);
        assert.equal(created.json().username, fresh);
        assert.equal((await t.runtime.store.findUserByUsername(fresh))?.username, fresh);
        assert.equal((await login(fresh)).statusCode, 200);
        assert.equal((await login(typed)).statusCode, 200);
      });

      it('still finds an account stored under a name that is not in NFKC form (from before normalisation)', async () => {
        const fresh = unique('legacy');
        const stored = `\uFF4C${fresh.slice(1)}`; // ｌ
        const hasher = new PasswordHasher({ memoryKib: 1024, iterations: 1, parallelism: 1 });
        await t.runtime.store.createUser({ username: stored, passwordHash: await hasher.hash(PASSWORD), dateJoined: Date.now() });
        assert.equal((await login(stored)).statusCode, 200);
        assert.equal((await login(fresh)).statusCode, 401);
      });

      it('keeps a refused login with an odd username in the audit trail, written even on PostgreSQL', async () => {
        const audit = t.runtime.sessions.audit as AuditTrail;
        await audit.flush();
        const odd = `odd\u0001\u202Ename${counter++}`;
        assert.equal((await login(odd)).statusCode, 401);
        await audit.flush();
        const events = await t.runtime.store.listAuditEvents({ event: 'login_failed', limit: 5 });
        const event = events.find((e) => e.username?.startsWith('odd'));
        assert.ok(event, 'the event was written');
        assert.equal(event.reason, 'unknown_user');
        assert.ok(!/[\u0000-\u001f\u202e]/.test(event.username ?? ''), 'control and bidi characters are not kept');
      });

      it('imports Django users under their NFKC names, and refuses a dump with an invalid name before importing anything', async () => {
        const hash = '!unusable-password';
        const fresh = unique('carol');
        const dump = [{ model: 'auth.user', pk: 1, fields: { username: `\uFF43${fresh.slice(1)}`, password: hash, is_active: true, last_login: null, date_joined: '2021-01-01T00:00:00Z' } }];
        const report = await importDjangoUsers(t.runtime.store, dump, Date.now());
        assert.equal(report.imported, 1);
        assert.ok(await t.runtime.store.findUserByUsername(fresh));

        const other = unique('dan');
        const bad = [
          { model: 'auth.user', pk: 2, fields: { username: other, password: hash } },
          { model: 'auth.user', pk: 3, fields: { username: 'has space', password: hash } },
        ];
        await assert.rejects(importDjangoUsers(t.runtime.store, bad, Date.now()), { code: 'invalid' });
        assert.equal(await t.runtime.store.findUserByUsername(other), undefined);
      });
    });

    describe('passwords', () => {
      it('refuses common and weak passwords at sign-up on the password field', async () => {
        for (const password of ['password1', 'qwertyuiop', '12345678', 'iloveyou', 'P@ssw0rd1', 'aaaaaaaaaaaa', 'abcdefghijk']) {
          const response = await signUp(unique('weak'), password);
          assert.equal(response.statusCode, 400, password);
          assert.deepEqual(Object.keys(response.json()), ['password'], password);
        }
      });

      it('refuses a password made of the username', async () => {
        const alice = unique('alice');
        for (const password of [alice, `${alice}123`, `${alice}${alice}`]) {
          const response = await signUp(alice, password);
          assert.equal(response.statusCode, 400, password);
          assert.deepEqual(Object.keys(response.json()), ['password'], password);
        }
        // …but that password is fine for someone else.
        assert.equal((await signUp(unique('zed'), `${alice}123`)).statusCode, 201);
      });

      it('accepts the passwords the other tests and the README use', async () => {
        for (const password of ['correct horse battery', 's3cret-password', 'bench password 123', 'a long password 1', 'password 123 x', 'password-1234', 'long enough password']) {
          assert.equal((await signUp(unique('ok'), password)).statusCode, 201, password);
        }
      });

      it('caps passwords at 1,024 characters at sign-up and password change', async () => {
        const longest = `${'correct horse battery staple '.repeat(36)}`.slice(0, 1024);
        const username = unique('long');
        assert.equal((await signUp(username, longest)).statusCode, 201);
        const tooLong = await signUp(unique('long'), `${longest}x`);
        assert.equal(tooLong.statusCode, 400);
        assert.deepEqual(Object.keys(tooLong.json()), ['password']);

        const { access } = await t.login(username, longest);
        const change = (next: string) =>
          t.request('POST', '/api/users/set_password/', { current_password: longest, new_password: next }, { authorization: `Bearer ${access}` });
        for (const next of [`${longest}x`, 'password1', username, `${username}123`]) {
          const response = await change(next);
          assert.equal(response.statusCode, 400, next.slice(0, 20));
          assert.deepEqual(Object.keys(response.json()), ['new_password']);
        }
        assert.equal((await change('a different long password')).statusCode, 204);
      });

      it('takes a login password over 1,024 characters as a wrong one, at the cost of a dummy check', async () => {
        const username = unique('cap');
        assert.equal((await signUp(username)).statusCode, 201);
        const dummy = countDummyChecks();
        const response = await login(username, `${PASSWORD}${'x'.repeat(1024)}`);
        assert.equal(response.statusCode, 401);
        assert.deepEqual(response.json(), NO_ACTIVE_ACCOUNT);
        assert.equal(dummy.count(), 1);
      });
    });

    describe('every failed login costs one password check', () => {
      it('a stored hash that cannot be checked costs the dummy check an unknown user costs', async () => {
        const unusable = [
          '!Fq3dZ1u8xK0qG7YbV2pA9nR4sW6tE5yH3jL8mC1', // Django's unusable password
          'sha1$salt$0123456789abcdef0123456789abcdef01234567',
          'md5$salt$0123456789abcdef0123456789abcdef',
          'unsalted_md5$0123456789abcdef0123456789abcdef',
          'bcrypt$$2b$17$0Obe2TdwsrdJTzX74NA75uD9y8xF0odV5devY.mmHI.6KROfo1aZ6', // above the cost cap
          'pbkdf2_sha256$many$salt$aGFzaA==',
          '$argon2id$v=19$m=0,t=0,p=0$c2FsdHNhbHQ$aGFzaGhhc2g', // well formed, refused by argon2
          '',
        ];
        const users: string[] = [];
        for (const passwordHash of unusable) {
          const user = await t.runtime.store.createUser({ username: unique('legacy'), passwordHash, dateJoined: Date.now() });
          users.push(user.username);
        }
        const dummy = countDummyChecks();
        for (const username of users) {
          const response = await login(username, 'whatever they type');
          assert.equal(response.statusCode, 401, username);
          assert.deepEqual(response.json(), NO_ACTIVE_ACCOUNT);
        }
        assert.equal(dummy.count(), users.length);
        assert.equal((await login(unique('ghost'))).statusCode, 401);
        assert.equal(dummy.count(), users.length + 1);
      });

      it('a wrong password for a normal account checks its own hash, not the dummy', async () => {
        const username = unique('normal');
        assert.equal((await signUp(username)).statusCode, 201);
        const dummy = countDummyChecks();
        assert.equal((await login(username, 'not the password at all')).statusCode, 401);
        assert.equal(dummy.count(), 0);
      });
    });

    describe('field types as DRF CharField reads them', () => {
      it('takes numbers as their text: a numeric refresh or access token is simply not valid', async () => {
        for (const [path, body] of [
          ['/api/token/refresh/', { refresh: 123 }],
          ['/api/token/refresh/', { refresh: 1.5 }],
          ['/api/token/verify/', { token: 123 }],
          ['/api/token/blacklist/', { refresh: -7 }],
        ] as const) {
          const response = await t.request('POST', path, body);
          assert.equal(response.statusCode, 401, `${path} ${JSON.stringify(body)}`);
          assert.equal(response.json().code, 'token_not_valid');
        }
        const numericLogin = await t.request('POST', '/api/token/', { username: 12345, password: 67890 });
        assert.equal(numericLogin.statusCode, 401);
        assert.deepEqual(numericLogin.json(), NO_ACTIVE_ACCOUNT);
      });

      it('a numeric username signs up as its text', async () => {
        const digits = Number(`9${Date.now() % 1e9}`);
        const response = await t.request('POST', '/api/users/', { username: digits, password: PASSWORD });
        assert.equal(response.statusCode, 201);
        assert.equal(response.json().username, String(digits));
        assert.equal((await login(String(digits))).statusCode, 200);
      });

      it('keeps booleans, objects and arrays at 400 on their field', async () => {
        for (const value of [true, false, {}, { a: 1 }, [], ['x']]) {
          const refresh = await t.request('POST', '/api/token/refresh/', { refresh: value });
          assert.equal(refresh.statusCode, 400, JSON.stringify(value));
          assert.deepEqual(Object.keys(refresh.json()), ['refresh']);
          const signIn = await t.request('POST', '/api/token/', { username: 'alice', password: value });
          assert.equal(signIn.statusCode, 400, JSON.stringify(value));
          assert.deepEqual(Object.keys(signIn.json()), ['password']);
        }
      });

      it('refuses a lone surrogate as DRF does', async () => {
        const response = await t.request('POST', '/api/token/', '{"username":"a\\ud800b","password":"x"}', { 'content-type': 'application/json' });
        assert.equal(response.statusCode, 400);
        assert.deepEqual(Object.keys(response.json()), ['username']);
      });
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`hardening: login CSRF in cookie mode (${dialect})`, () => {
    const ALLOWED = 'https://app.example.test';
    let t: TestApp;
    const username = unique('victim');
    const form = `username=${username}&password=${encodeURIComponent(PASSWORD)}`;
    const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
    before(async () => {
      t = await startTestApp(dialect, { refreshCookie: true, corsOrigins: [ALLOWED] });
      assert.equal((await t.request('POST', '/api/users/', { username, password: PASSWORD })).statusCode, 201);
    });
    after(async () => {
      await t?.close();
    });

    it('refuses a cross-site form login (no X-Requested-With) with 403 csrf_failed and sets no cookie', async () => {
      const response = await t.request('POST', '/api/token/', form, { ...formHeaders, origin: 'https://evil.example.test' });
      assert.equal(response.statusCode, 403);
      assert.equal(response.json().code, 'csrf_failed');
      assert.equal(response.headers['set-cookie'], undefined);
      const noOrigin = await t.request('POST', '/api/token/', form, formHeaders);
      assert.equal(noOrigin.statusCode, 403);
      assert.equal(noOrigin.json().code, 'csrf_failed');
    });

    it('refuses the header from a foreign origin, accepts it from the allowed and the same origin', async () => {
      const withHeader = { ...formHeaders, 'x-requested-with': 'gatehouse' };
      const foreign = await t.request('POST', '/api/token/', form, { ...withHeader, origin: 'https://evil.example.test' });
      assert.equal(foreign.statusCode, 403);
      assert.equal(foreign.json().code, 'csrf_failed');
      assert.equal((await t.request('POST', '/api/token/', form, { ...withHeader, origin: ALLOWED })).statusCode, 200);
      assert.equal((await t.request('POST', '/api/token/', form, withHeader)).statusCode, 200);
    });

    it('the SDK signs in against a cookie-mode server, whatever its storage', async () => {
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const address = t.app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      for (const storage of ['memory', 'cookie'] as const) {
        const client = createClient({ baseUrl: `http://127.0.0.1:${port}`, storage, autoRefresh: false, tabLock: false });
        try {
          const claims = await client.login(username, PASSWORD);
          assert.ok(claims, storage);
          assert.equal(client.usesRefreshCookie(), true);
        } finally {
          client.close();
        }
      }
    });
  });
}

describe('hardening: login outside cookie mode needs no CSRF header', () => {
  it('a form login answers 200 with both tokens, as simplejwt does', async () => {
    const t = await startTestApp('sqlite');
    try {
      const username = unique('plain');
      assert.equal((await t.request('POST', '/api/users/', { username, password: PASSWORD })).statusCode, 201);
      const response = await t.request('POST', '/api/token/', `username=${username}&password=${encodeURIComponent(PASSWORD)}`, {
        'content-type': 'application/x-www-form-urlencoded',
      });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(Object.keys(response.json()).sort(), ['access', 'refresh']);
    } finally {
      await t.close();
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`hardening: the CLI normalises usernames and refuses weak passwords (${dialect})`, () => {
    let database: TestDatabase;
    let env: Record<string, string | undefined>;
    before(async () => {
      database = await createTestDatabase(dialect);
      env = cliEnv(database);
    });
    after(async () => {
      await database?.drop();
    });

    it('users add stores the NFKC name; users add and set-password refuse weak passwords; import normalises', async () => {
      const add = await gatehouse(['users', 'add', '\uFF43arol', '--password-stdin'], env, `${PASSWORD}\n`);
      assert.equal(add.code, 0, add.stderr);
      const again = await gatehouse(['users', 'add', 'carol', '--password-stdin'], env, 'another long password\n');
      assert.equal(again.code, 1);
      const weak = await gatehouse(['users', 'add', 'dave', '--password-stdin'], env, 'password1\n');
      assert.equal(weak.code, 1);
      const own = await gatehouse(['users', 'add', 'erin', '--password-stdin'], env, 'erin1234\n');
      assert.equal(own.code, 1);
      const reset = await gatehouse(['users', 'set-password', 'carol', '--password-stdin'], env, 'carol123\n');
      assert.equal(reset.code, 1);
      assert.equal((await gatehouse(['users', 'set-password', 'carol', '--password-stdin'], env, 'a different long password\n')).code, 0);

      const dump = path.join(database.dataDir, 'users.json');
      await writeFile(dump, JSON.stringify([{ model: 'auth.user', pk: 4, fields: { username: '\uFF46rank', password: 'pbkdf2_sha256$1200$salt$aGFzaA==' } }]));
      const imported = await gatehouse(['users', 'import', dump], env);
      assert.equal(imported.code, 0, imported.stderr);

      const list = await gatehouse(['users', 'list', '--json'], env);
      assert.equal(list.code, 0, list.stderr);
      const names = (JSON.parse(list.stdout) as { username: string }[]).map((u) => u.username).sort();
      assert.deepEqual(names, ['carol', 'frank']);
    });
  });
}
