// Sessions people can see and control: retry-safe rotation, the self-service account and session
// endpoints, the admin API, and the audit trail, on both stores.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { GatehouseSession } from '../client/index.js';
import { openStore } from '../src/store/open-store.js';
import { DIALECTS } from './support/databases.js';
import { decodeJwt, startTestApp, type TestApp } from './support/test-app.js';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a different long password';
const unique = (prefix: string): string => `${prefix}_${randomUUID().slice(0, 8)}`;
const bearer = (access: string, extra: Record<string, string> = {}): Record<string, string> => ({ authorization: `Bearer ${access}`, ...extra });

interface Pair {
  readonly access: string;
  readonly refresh: string;
}

interface AuditJson {
  readonly event: string;
  readonly user_id: number | null;
  readonly username: string | null;
  readonly session_id: string | null;
  readonly ip: string | null;
  readonly user_agent: string | null;
  readonly actor_username: string | null;
  readonly reason: string | null;
}

for (const dialect of DIALECTS) {
  describe(`sessions, account and admin API (${dialect})`, { timeout: 120_000 }, () => {
    let t: TestApp;
    let admin: Pair;
    before(async () => {
      t = await startTestApp(dialect);
      const name = unique('admin');
      await register(name);
      const user = await t.runtime.store.findUserByUsername(name);
      assert.ok(user);
      await t.runtime.store.setUserAdmin(user.id, true);
      admin = await login(name);
    });
    after(async () => {
      await t?.close();
    });

    async function register(username: string): Promise<number> {
      const response = await t.request('POST', '/api/users/', { username, password: PASSWORD });
      assert.equal(response.statusCode, 201, response.body);
      return response.json<{ id: number }>().id;
    }

    async function login(username: string, password = PASSWORD, userAgent = 'test-agent/1.0'): Promise<Pair> {
      const response = await t.request('POST', '/api/token/', { username, password }, { 'user-agent': userAgent });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<Pair>();
    }

    const refresh = (token: string, userAgent = 'test-agent/1.0') => t.request('POST', '/api/token/refresh/', { refresh: token }, { 'user-agent': userAgent });
    const me = (access: string) => t.request('GET', '/api/me/', undefined, bearer(access));

    /** The audit events matching `query`, once the batch holding them has been written. */
    async function auditEvents(query: string, until: (events: AuditJson[]) => boolean): Promise<AuditJson[]> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const response = await t.request('GET', `/api/admin/audit/?${query}`, undefined, bearer(admin.access));
        assert.equal(response.statusCode, 200, response.body);
        const events = response.json<{ results: AuditJson[] }>().results;
        if (until(events)) return events;
        assert.ok(Date.now() < deadline, `audit events never matched: ${JSON.stringify(events)}`);
        await sleep(50);
      }
    }

    describe('retry-safe rotation', () => {
      it('keeps the user signed in through 10 concurrent refreshes: one successor for all', async () => {
        const username = unique('tabs');
        await register(username);
        const first = await login(username);
        const answers = await Promise.all(Array.from({ length: 10 }, () => refresh(first.refresh)));
        assert.deepEqual(answers.map((a) => a.statusCode), Array(10).fill(200));
        const successors = answers.map((a) => decodeJwt(a.json<Pair>().refresh).payload);
        assert.equal(new Set(successors.map((p) => p['jti'])).size, 1, 'the same successor jti');
        assert.equal(new Set(successors.map((p) => p['exp'])).size, 1, 'the same expiry');
        assert.notEqual(successors[0]?.['jti'], decodeJwt(first.refresh).payload['jti']);
        for (const answer of answers) assert.equal((await me(answer.json<Pair>().access)).statusCode, 200);
        // The successor rotates normally, and the login lives on.
        const next = await refresh(answers[3]?.json<Pair>().refresh ?? '');
        assert.equal(next.statusCode, 200);
        assert.equal((await me(next.json<Pair>().access)).statusCode, 200);
      });

      it('treats a replay as reuse once the successor itself was rotated: the whole login ends', async () => {
        const username = unique('thief');
        await register(username);
        const first = await login(username);
        const second = (await refresh(first.refresh)).json<Pair>();
        const third = await refresh(second.refresh);
        assert.equal(third.statusCode, 200);
        const replay = await refresh(first.refresh);
        assert.equal(replay.statusCode, 401);
        assert.equal(replay.json<{ code: string }>().code, 'token_not_valid');
        assert.equal((await refresh(third.json<Pair>().refresh)).statusCode, 401, 'the newest refresh token is dead too');
        assert.equal((await me(third.json<Pair>().access)).statusCode, 401);
      });

      it('treats a replay after the grace as reuse', async () => {
        const strict = await startTestApp(dialect, { rotationGrace: 1 });
        try {
          const username = unique('late');
          assert.equal((await strict.request('POST', '/api/users/', { username, password: PASSWORD })).statusCode, 201);
          const first = await strict.login(username, PASSWORD);
          const second = await strict.request('POST', '/api/token/refresh/', { refresh: first.refresh });
          assert.equal(second.statusCode, 200);
          assert.equal((await strict.request('POST', '/api/token/refresh/', { refresh: first.refresh })).statusCode, 200, 'within the grace');
          await sleep(1_200);
          assert.equal((await strict.request('POST', '/api/token/refresh/', { refresh: first.refresh })).statusCode, 401, 'after the grace');
          assert.equal((await strict.request('POST', '/api/token/refresh/', { refresh: second.json<Pair>().refresh })).statusCode, 401, 'the login was revoked');
        } finally {
          await strict.close();
        }
      });
    });

    describe('self-service account endpoints', () => {
      it('answers GET /api/users/me/ exactly as GET /api/me/', async () => {
        const username = unique('me');
        await register(username);
        const { access } = await login(username);
        const users = await t.request('GET', '/api/users/me/', undefined, bearer(access));
        const plain = await me(access);
        assert.equal(users.statusCode, 200);
        assert.equal(users.body, plain.body);
        assert.equal(users.headers['content-type'], plain.headers['content-type']);
        assert.equal((await t.request('GET', '/api/users/me/')).statusCode, 401);
      });

      it('changes the password: others signed out at once, the caller stays, the old password stops working', async () => {
        const username = unique('pw');
        await register(username);
        const caller = await login(username);
        const other = await login(username);
        assert.equal((await me(other.access)).statusCode, 200);
        const set = (body: unknown) => t.request('POST', '/api/users/set_password/', body, bearer(caller.access));

        const wrong = await set({ current_password: 'not it at all', new_password: NEW_PASSWORD });
        assert.equal(wrong.statusCode, 400);
        assert.deepEqual(wrong.json(), { current_password: ['Invalid password.'] });
        const weak = await set({ current_password: PASSWORD, new_password: 'short' });
        assert.equal(weak.statusCode, 400);
        assert.deepEqual(Object.keys(weak.json()), ['new_password']);
        const missing = await set({ current_password: PASSWORD });
        assert.deepEqual(missing.json(), { new_password: ['This field is required.'] });

        const done = await set({ current_password: PASSWORD, new_password: NEW_PASSWORD });
        assert.equal(done.statusCode, 204);
        assert.equal(done.body, '');
        assert.equal((await me(other.access)).statusCode, 401, 'the other login ended');
        assert.equal((await refresh(other.refresh)).statusCode, 401);
        assert.equal((await me(caller.access)).statusCode, 200, 'the calling login keeps working');
        assert.equal((await refresh(caller.refresh)).statusCode, 200);
        assert.equal((await t.request('POST', '/api/token/', { username, password: PASSWORD })).statusCode, 401);
        await login(username, NEW_PASSWORD);
      });

      it('deletes the account: deactivated, every login ended, a wrong password refused', async () => {
        const username = unique('gone');
        await register(username);
        const a = await login(username);
        const b = await login(username);
        const wrong = await t.request('DELETE', '/api/users/me/', { current_password: 'nope nope nope' }, bearer(a.access));
        assert.equal(wrong.statusCode, 400);
        assert.deepEqual(wrong.json(), { current_password: ['Invalid password.'] });
        const done = await t.request('DELETE', '/api/users/me/', { current_password: PASSWORD }, bearer(a.access));
        assert.equal(done.statusCode, 204);
        for (const pair of [a, b]) {
          assert.equal((await me(pair.access)).statusCode, 401);
          assert.equal((await refresh(pair.refresh)).statusCode, 401);
        }
        assert.equal((await t.request('POST', '/api/token/', { username, password: PASSWORD })).statusCode, 401);
      });
    });

    describe('sessions', () => {
      it('lists live logins newest first, marks the caller\'s, and records where each was used', async () => {
        const username = unique('list');
        await register(username);
        const laptop = await login(username, PASSWORD, 'Laptop/1.0');
        await sleep(5);
        const phone = await login(username, PASSWORD, 'Phone/2.0');
        const list = await t.request('GET', '/api/sessions/', undefined, bearer(phone.access));
        assert.equal(list.statusCode, 200);
        const sessions = list.json<GatehouseSession[]>();
        assert.equal(sessions.length, 2);
        assert.deepEqual(sessions.map((s) => s.user_agent), ['Phone/2.0', 'Laptop/1.0']);
        assert.deepEqual(sessions.map((s) => s.current), [true, false]);
        assert.deepEqual(Object.keys(sessions[0] ?? {}).sort(), ['created_at', 'current', 'id', 'ip', 'last_used_at', 'user_agent']);
        assert.equal(sessions[0]?.ip, '127.0.0.1');
        assert.equal(sessions[0]?.id, decodeJwt(phone.access).payload['sid']);

        await sleep(5);
        const renewed = await refresh(laptop.refresh, 'Laptop/1.1');
        assert.equal(renewed.statusCode, 200);
        const after = (await t.request('GET', '/api/sessions/', undefined, bearer(renewed.json<Pair>().access))).json<GatehouseSession[]>();
        const laptopNow = after.find((s) => s.id === decodeJwt(laptop.access).payload['sid']);
        assert.equal(laptopNow?.user_agent, 'Laptop/1.1', 'updated at refresh');
        assert.equal(laptopNow?.current, true);
        assert.ok(Date.parse(laptopNow?.last_used_at ?? '') > Date.parse(laptopNow?.created_at ?? ''), 'last used moves at refresh');
      });

      it('ends one session at once; another user\'s or an unknown one is 404', async () => {
        const username = unique('end');
        await register(username);
        const keep = await login(username);
        const end = await login(username);
        assert.equal((await me(end.access)).statusCode, 200);
        const endId = String(decodeJwt(end.access).payload['sid']);

        const strangerName = unique('stranger');
        await register(strangerName);
        const stranger = await login(strangerName);
        assert.equal((await t.request('DELETE', `/api/sessions/${endId}/`, undefined, bearer(stranger.access))).statusCode, 404);
        assert.equal((await me(end.access)).statusCode, 200, 'a stranger ended nothing');
        assert.equal((await t.request('DELETE', '/api/sessions/a%00b/', undefined, bearer(keep.access))).statusCode, 404, 'a NUL is no session');
        assert.equal((await t.request('DELETE', '/api/admin/sessions/a%00b/', undefined, bearer(admin.access))).statusCode, 404);
        const unknown = await t.request('DELETE', `/api/sessions/${randomUUID()}/`, undefined, bearer(keep.access));
        assert.equal(unknown.statusCode, 404);
        assert.equal(unknown.json<{ code: string }>().code, 'not_found');

        assert.equal((await t.request('DELETE', `/api/sessions/${endId}/`, undefined, bearer(keep.access))).statusCode, 204);
        assert.equal((await me(end.access)).statusCode, 401);
        assert.equal((await refresh(end.refresh)).statusCode, 401);
        assert.equal((await me(keep.access)).statusCode, 200);
        assert.equal((await t.request('DELETE', `/api/sessions/${endId}/`, undefined, bearer(keep.access))).statusCode, 404, 'already ended');
      });

      it('ends every other session with revoke-others', async () => {
        const username = unique('others');
        await register(username);
        const keep = await login(username);
        const others = [await login(username), await login(username)];
        assert.equal((await t.request('POST', '/api/sessions/revoke-others/', undefined, bearer(keep.access))).statusCode, 204);
        for (const pair of others) {
          assert.equal((await me(pair.access)).statusCode, 401);
          assert.equal((await refresh(pair.refresh)).statusCode, 401);
        }
        assert.equal((await me(keep.access)).statusCode, 200);
        const left = (await t.request('GET', '/api/sessions/', undefined, bearer(keep.access))).json<GatehouseSession[]>();
        assert.deepEqual(left.map((s) => s.current), [true]);
      });

      it('refuses every session endpoint without a valid access token', async () => {
        for (const [method, url] of [['GET', '/api/sessions/'], ['POST', '/api/sessions/revoke-others/'], ['DELETE', `/api/sessions/${randomUUID()}/`]] as const) {
          const response = await t.request(method, url);
          assert.equal(response.statusCode, 401, `${method} ${url}`);
          assert.equal(response.headers['www-authenticate'], 'Bearer realm="api"');
        }
      });
    });

    describe('admin API', () => {
      it('refuses non-admins with 403 permission_denied on every endpoint', async () => {
        const username = unique('plain');
        const id = await register(username);
        const { access } = await login(username);
        const endpoints = [
          ['GET', '/api/admin/users/'],
          ['GET', `/api/admin/users/${id}/`],
          ['POST', `/api/admin/users/${id}/deactivate/`],
          ['POST', `/api/admin/users/${id}/activate/`],
          ['GET', `/api/admin/users/${id}/sessions/`],
          ['DELETE', `/api/admin/sessions/${randomUUID()}/`],
          ['GET', '/api/admin/audit/'],
        ] as const;
        for (const [method, url] of endpoints) {
          const response = await t.request(method, url, undefined, bearer(access));
          assert.equal(response.statusCode, 403, `${method} ${url}`);
          assert.equal(response.json<{ code: string }>().code, 'permission_denied');
        }
        assert.equal((await t.request('GET', '/api/admin/users/')).statusCode, 401);
      });

      it('lists, searches and pages users, and shows one', async () => {
        const prefix = unique('page');
        const ids = [];
        for (const n of [1, 2, 3]) ids.push(await register(`${prefix}_${n}`));
        const page = await t.request('GET', `/api/admin/users/?search=${prefix.toUpperCase()}&limit=2&offset=1`, undefined, bearer(admin.access));
        assert.equal(page.statusCode, 200);
        const body = page.json<{ count: number; results: { id: number; username: string; is_admin: boolean; is_active: boolean }[] }>();
        assert.equal(body.count, 3);
        assert.deepEqual(body.results.map((u) => u.username), [`${prefix}_2`, `${prefix}_3`]);
        assert.equal(body.results[0]?.is_admin, false);
        assert.ok(!page.body.includes('argon2'), 'no hash');
        const wildcard = await t.request('GET', '/api/admin/users/?search=%25', undefined, bearer(admin.access));
        assert.equal(wildcard.json<{ count: number }>().count, 0, 'a % in the search is matched literally');
        const one = await t.request('GET', `/api/admin/users/${ids[0]}/`, undefined, bearer(admin.access));
        assert.equal(one.json<{ username: string }>().username, `${prefix}_1`);
        assert.equal((await t.request('GET', '/api/admin/users/987654321/', undefined, bearer(admin.access))).statusCode, 404);
        assert.equal((await t.request('GET', '/api/admin/users/abc/', undefined, bearer(admin.access))).statusCode, 404);
        const bad = await t.request('GET', '/api/admin/users/?limit=0', undefined, bearer(admin.access));
        assert.equal(bad.statusCode, 400);
        assert.deepEqual(Object.keys(bad.json()), ['limit']);
      });

      it('deactivates (ending every login) and activates users, and lists and ends their sessions', async () => {
        const username = unique('managed');
        const id = await register(username);
        const a = await login(username);
        const b = await login(username);
        const sessions = await t.request('GET', `/api/admin/users/${id}/sessions/`, undefined, bearer(admin.access));
        assert.equal(sessions.json<GatehouseSession[]>().length, 2);
        assert.ok(sessions.json<GatehouseSession[]>().every((s) => !s.current));

        const bId = String(decodeJwt(b.access).payload['sid']);
        assert.equal((await t.request('DELETE', `/api/admin/sessions/${bId}/`, undefined, bearer(admin.access))).statusCode, 204);
        assert.equal((await me(b.access)).statusCode, 401);
        assert.equal((await me(a.access)).statusCode, 200);
        assert.equal((await t.request('DELETE', `/api/admin/sessions/${bId}/`, undefined, bearer(admin.access))).statusCode, 404);

        const off = await t.request('POST', `/api/admin/users/${id}/deactivate/`, undefined, bearer(admin.access));
        assert.equal(off.statusCode, 200);
        assert.equal(off.json<{ is_active: boolean }>().is_active, false);
        assert.equal((await me(a.access)).statusCode, 401);
        assert.equal((await t.request('POST', '/api/token/', { username, password: PASSWORD })).statusCode, 401);
        const on = await t.request('POST', `/api/admin/users/${id}/activate/`, undefined, bearer(admin.access));
        assert.equal(on.json<{ is_active: boolean }>().is_active, true);
        await login(username);
      });

      it('checks the admin flag in the database on every call', async () => {
        const username = unique('demoted');
        await register(username);
        const user = await t.runtime.store.findUserByUsername(username);
        assert.ok(user);
        await t.runtime.store.setUserAdmin(user.id, true);
        const { access } = await login(username);
        assert.equal((await t.request('GET', '/api/admin/users/', undefined, bearer(access))).statusCode, 200);
        // Revoked through another connection, as another process or node would.
        const other = await openStore({ databaseUrl: t.config.databaseUrl, dataDir: t.config.dataDir });
        try {
          await other.setUserAdmin(user.id, false);
        } finally {
          await other.close();
        }
        assert.equal((await t.request('GET', '/api/admin/users/', undefined, bearer(access))).statusCode, 403);
      });
    });

    describe('audit trail', () => {
      it('records each event with who, where and which session, and never a secret', async () => {
        const username = unique('audited');
        const id = await register(username);
        const ua = { 'user-agent': 'Audited/3.0' };
        const first = await login(username, PASSWORD, 'Audited/3.0');
        const sid = String(decodeJwt(first.access).payload['sid']);
        await t.request('POST', '/api/token/', { username, password: 'wrong password!' }, ua);
        await t.request('POST', '/api/token/', { username: unique('nobody'), password: 'whatever it is' }, ua);
        const second = (await refresh(first.refresh, 'Audited/3.0')).json<Pair>();
        await refresh(first.refresh, 'Audited/3.0'); // a retry within the grace
        await t.request('POST', '/api/users/set_password/', { current_password: PASSWORD, new_password: NEW_PASSWORD }, bearer(second.access, ua));
        const other = await login(username, NEW_PASSWORD, 'Audited/3.0');
        await t.request('DELETE', `/api/sessions/${String(decodeJwt(other.access).payload['sid'])}/`, undefined, bearer(second.access, ua));
        const third = await login(username, NEW_PASSWORD);
        await t.request('POST', '/api/token/blacklist/', { refresh: third.refresh }, ua);
        await t.request('POST', '/api/token/logout-all/', undefined, bearer(second.access, ua));
        await t.request('POST', `/api/admin/users/${id}/deactivate/`, undefined, bearer(admin.access));
        await t.request('POST', '/api/token/', { username, password: NEW_PASSWORD }, ua); // inactive
        await t.request('POST', `/api/admin/users/${id}/activate/`, undefined, bearer(admin.access));
        // A replay long after: reuse.
        const fourth = await login(username, NEW_PASSWORD);
        const fifth = (await refresh(fourth.refresh)).json<Pair>();
        await refresh(fifth.refresh);
        await refresh(fourth.refresh);

        const wanted = [
          'user_created', 'login_succeeded', 'login_failed', 'token_refreshed', 'password_changed', 'session_revoked',
          'logout', 'logout_all', 'user_deactivated', 'user_activated', 'refresh_reuse_detected',
        ];
        const events = await auditEvents(`user=${id}&limit=1000`, (found) => wanted.every((name) => found.some((e) => e.event === name)));
        const of = (name: string) => events.filter((e) => e.event === name);
        assert.ok(events.every((e) => e.user_id === id && e.username === username), 'user id and name on every event');
        assert.deepEqual(of('login_failed').map((e) => e.reason).sort(), ['inactive', 'wrong_password']);
        const login1 = of('login_succeeded').find((e) => e.session_id === sid);
        assert.equal(login1?.user_agent, 'Audited/3.0');
        assert.equal(login1?.ip, '127.0.0.1');
        assert.ok(of('token_refreshed').some((e) => e.reason === 'grace_retry'));
        assert.ok(of('user_deactivated').every((e) => e.actor_username !== null && e.actor_username.startsWith('admin_')), 'the acting admin');
        const text = JSON.stringify(events);
        for (const secret of [PASSWORD, NEW_PASSWORD, first.refresh, first.access, 'argon2']) assert.ok(!text.includes(secret), 'no secret in the trail');

        const unknown = await auditEvents('event=login_failed&limit=1000', (found) => found.some((e) => e.reason === 'unknown_user'));
        assert.ok(unknown.every((e) => e.event === 'login_failed'));
        const recent = await auditEvents(`user=${username}&since=1h&limit=2`, (found) => found.length === 2);
        assert.equal(recent.length, 2);
        const future = await auditEvents(`user=${id}&since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`, () => true);
        assert.deepEqual(future, []);
        assert.equal((await t.request('GET', '/api/admin/audit/?event=not_an_event', undefined, bearer(admin.access))).statusCode, 400);
        assert.equal((await t.request('GET', '/api/admin/audit/?since=yesterday-ish', undefined, bearer(admin.access))).statusCode, 400);
        for (const query of ['user=a%00b', 'search=%00']) {
          const nul = await t.request('GET', `/api/admin/${query.startsWith('user') ? 'audit' : 'users'}/?${query}`, undefined, bearer(admin.access));
          assert.equal(nul.statusCode, 400, query);
        }
      });

      it('records nothing with GATEHOUSE_AUDIT=off', async () => {
        const quiet = await startTestApp(dialect, { audit: false });
        try {
          const username = unique('quiet');
          assert.equal((await quiet.request('POST', '/api/users/', { username, password: PASSWORD })).statusCode, 201);
          await quiet.login(username, PASSWORD);
          await quiet.runtime.close();
          const store = await openStore({ databaseUrl: quiet.config.databaseUrl, dataDir: quiet.config.dataDir });
          try {
            assert.deepEqual(await store.listAuditEvents({ limit: 10 }), []);
          } finally {
            await store.close();
          }
        } finally {
          await quiet.close();
        }
      });

      it('records a rate-limited login as a failed one', async () => {
        const limited = await startTestApp(dialect, { loginRateLimit: { max: 2, windowSeconds: 60 } });
        try {
          const username = unique('limited');
          for (let i = 0; i < 3; i += 1) await limited.request('POST', '/api/token/', { username, password: 'wrong password!' });
          await limited.runtime.close(); // writes the audit batch
          const store = await openStore({ databaseUrl: limited.config.databaseUrl, dataDir: limited.config.dataDir });
          try {
            const events = await store.listAuditEvents({ event: 'login_failed', limit: 10 });
            assert.deepEqual(events.map((e) => e.reason).sort(), ['rate_limited', 'unknown_user', 'unknown_user']);
            assert.ok(events.every((e) => e.username === username.toLowerCase()));
          } finally {
            await store.close();
          }
        } finally {
          await limited.close();
        }
      });
    });
  });
}
