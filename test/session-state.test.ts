// The per-process session-state view: its rules in isolation (with a frozen clock), then fed by
// PostgreSQL LISTEN/NOTIFY and SQLite's file watch, including the interleavings that could make
// it keep a stale answer, and the store's 503 for a database that cannot serve.
import * as assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isGatehouseError } from '../src/errors.js';
import { openStore } from '../src/store/open-store.js';
import { SESSION_CHANGE_CHANNEL } from '../src/store/postgres/session-change-listener.js';
import { SessionStateView } from '../src/store/session-state-view.js';
import { changeSignalFor, SETTLE_MS } from '../src/store/sqlite/change-signal.js';
import type { AuthState, RefreshTokenRecord, Store, User } from '../src/store/store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
const unique = (prefix: string): string => `${prefix}-${randomUUID()}`;

function stateOf(id: number, familyActive = true): AuthState {
  const user: User = { id, username: `u${id}`, passwordHash: 'h', isActive: true, lastLogin: null, dateJoined: 0, customClaims: {}, isAdmin: false };
  return { user, familyActive };
}

/** Polls `check` until it is true; fails after `ms` (a liveness cap, far above the expected time). */
async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await sleep(10);
  }
}

async function assertUnavailable(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isGatehouseError(error) && error.code === 'service_unavailable');
}

describe('SessionStateView', () => {
  let clock = 0;
  const view = (maxAgeMs = 1000, limit?: number): SessionStateView => {
    const made = new SessionStateView({ maxAgeMs, now: () => clock, ...(limit === undefined ? {} : { limit }) });
    made.setLive(true);
    return made;
  };

  it('serves an answer until its age, counted from the start of its read, passes the bound', () => {
    clock = 1000;
    const v = view(1000);
    const ticket = v.beginRead();
    clock = 1300; // the read took 300 ms
    v.remember(ticket, 1, 'f', stateOf(1));
    clock = 2000;
    assert.deepEqual(v.lookup(1, 'f'), stateOf(1), 'exactly the bound old');
    clock = 2001;
    assert.equal(v.lookup(1, 'f'), undefined, 'older than the bound');
  });

  it('does not keep a read that a change notification overtook, for that user or any other', () => {
    clock = 0;
    const v = view();
    const ticket = v.beginRead();
    v.changed(1); // the notification arrives while the read is in flight
    v.remember(ticket, 1, 'f', stateOf(1));
    assert.equal(v.lookup(1, 'f'), undefined);
    const second = v.beginRead();
    v.changed(2);
    v.remember(second, 1, 'f', stateOf(1));
    assert.equal(v.lookup(1, 'f'), undefined, 'conservative: any change in flight');
    v.remember(v.beginRead(), 1, 'f', stateOf(1));
    assert.deepEqual(v.lookup(1, 'f'), stateOf(1));
  });

  it('drops only the named user on a targeted change, everything on an untargeted one', () => {
    clock = 0;
    const v = view();
    v.remember(v.beginRead(), 1, 'a', stateOf(1));
    v.remember(v.beginRead(), 1, 'b', stateOf(1));
    v.remember(v.beginRead(), 2, 'c', stateOf(2));
    v.changed(1);
    assert.equal(v.lookup(1, 'a'), undefined);
    assert.equal(v.lookup(1, 'b'), undefined);
    assert.deepEqual(v.lookup(2, 'c'), stateOf(2));
    v.changed();
    assert.equal(v.lookup(2, 'c'), undefined);
  });

  it('keeps nothing new while the channel is down, still ages out what it had, and drops all when it is back', () => {
    clock = 0;
    const v = view(1000);
    v.remember(v.beginRead(), 1, 'kept', stateOf(1));
    const inFlight = v.beginRead();
    v.setLive(false);
    v.remember(v.beginRead(), 2, 'new', stateOf(2));
    assert.equal(v.lookup(2, 'new'), undefined, 'nothing kept while down');
    clock = 500;
    assert.deepEqual(v.lookup(1, 'kept'), stateOf(1), 'still within the bound');
    clock = 1001;
    assert.equal(v.lookup(1, 'kept'), undefined, 'aged out while down');
    clock = 0;
    v.remember(v.beginRead(), 3, 'x', stateOf(3)); // not kept: down
    v.setLive(true);
    v.remember(inFlight, 1, 'late', stateOf(1));
    assert.equal(v.lookup(1, 'late'), undefined, 'a read begun before the channel came back is not kept');
  });

  it('drops what it had when the channel comes back', () => {
    clock = 0;
    const v = view();
    v.remember(v.beginRead(), 1, 'f', stateOf(1));
    v.setLive(false);
    v.setLive(true);
    assert.equal(v.lookup(1, 'f'), undefined);
  });

  it('asks once per entry for a read ahead once an entry is past half its lifetime', () => {
    clock = 0;
    const asked: string[] = [];
    const v = new SessionStateView({ maxAgeMs: 1000, now: () => clock, refreshAhead: (userId, familyId) => asked.push(`${userId}/${familyId}`) });
    v.setLive(true);
    v.remember(v.beginRead(), 1, 'f', stateOf(1));
    clock = 500;
    v.lookup(1, 'f');
    assert.deepEqual(asked, [], 'not yet half');
    clock = 501;
    assert.deepEqual(v.lookup(1, 'f'), stateOf(1), 'still served');
    v.lookup(1, 'f');
    assert.deepEqual(asked, ['1/f'], 'asked once');
    v.remember(v.beginRead(), 1, 'f', stateOf(1));
    clock = 1100;
    v.lookup(1, 'f');
    assert.deepEqual(asked, ['1/f', '1/f'], 'the fresh entry asks again at its own half-life');
  });

  it('starts again empty past its entry limit', () => {
    clock = 0;
    const v = view(1000, 2);
    v.remember(v.beginRead(), 1, 'a', stateOf(1));
    v.remember(v.beginRead(), 2, 'b', stateOf(2));
    v.remember(v.beginRead(), 3, 'c', stateOf(3));
    assert.equal(v.lookup(1, 'a'), undefined);
    assert.deepEqual(v.lookup(3, 'c'), stateOf(3));
  });
});

describe('SQLite change signal', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-signal-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // A commit writes the -wal (reported) before the -shm index (not reported): a read right after
  // the report may see the old snapshot, so the signal must fire again once things settle.
  it('reports another connection\'s commit, and again once it has settled', async () => {
    const file = path.join(dir, 'settle.sqlite3');
    const writer = new Database(file);
    writer.pragma('journal_mode = WAL');
    writer.exec('create table t (x)');
    const signal = changeSignalFor(file);
    const events: number[] = [];
    const unsubscribe = signal.subscribe((event) => {
      if (event === 'changed') events.push(performance.now());
    });
    try {
      assert.equal(signal.watching, true);
      writer.prepare('insert into t values (1)').run();
      await eventually('the commit is reported', () => events.length > 0);
      const first = events[0] ?? 0;
      await sleep(SETTLE_MS * 3);
      const last = events.at(-1) ?? 0;
      assert.ok(events.length >= 2, 'a second report');
      assert.ok(last - first >= SETTLE_MS - 1, 'the last report comes at least the settle time after the first');
    } finally {
      unsubscribe();
      signal.release();
      writer.close();
    }
  });

  it('watches the real file when the database path is a symbolic link', async () => {
    const realDir = path.join(dir, 'real');
    const linkDir = path.join(dir, 'links');
    await mkdir(realDir);
    await mkdir(linkDir);
    const realFile = path.join(realDir, 'db.sqlite3');
    await symlink(realFile, path.join(linkDir, 'db.sqlite3')).catch(() => undefined);
    const setup = new Database(realFile);
    setup.pragma('journal_mode = WAL');
    setup.close();
    // A long bound: only the watch can tell this store about the raw write below.
    const store = await openStore({ databaseUrl: `sqlite:${path.join(linkDir, 'db.sqlite3')}`, dataDir: dir, sessionStateMaxAgeMs: 60_000 });
    const raw = new Database(realFile);
    try {
      await store.migrate();
      const user = await store.createUser({ username: 'linked', passwordHash: 'h', dateJoined: NOW });
      const familyId = unique('family');
      await store.startFamily({ jti: unique('jti'), familyId, userId: user.id, issuedAt: NOW, expiresAt: NOW + HOUR });
      assert.equal(store.authStateNow?.(user.id, familyId)?.familyActive, true);
      raw.prepare('update refresh_families set revoked_at = ? where id = ?').run(NOW, familyId);
      await eventually('the write through the real path is seen', () => store.authStateNow?.(user.id, familyId)?.familyActive === false, 10_000);
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('answers 503 service_unavailable when another process holds the write lock past the timeout', async () => {
    const file = path.join(dir, 'locked.sqlite3');
    const store = await openStore({ databaseUrl: `sqlite:${file}`, dataDir: dir, timeoutMs: 200 });
    await store.migrate();
    const user = await store.createUser({ username: 'locked', passwordHash: 'h', dateJoined: NOW });
    const holder = new Database(file);
    try {
      holder.exec('begin immediate');
      await assertUnavailable(store.startFamily({ jti: unique('jti'), familyId: unique('f'), userId: user.id, issuedAt: NOW, expiresAt: NOW + HOUR }));
      assert.equal((await store.findUserById(user.id))?.username, 'locked', 'reads still work');
      holder.exec('rollback');
      await store.startFamily({ jti: unique('jti'), familyId: unique('f'), userId: user.id, issuedAt: NOW, expiresAt: NOW + HOUR });
    } finally {
      holder.close();
      await store.close();
    }
  });
});

describe('PostgreSQL session-change notifications', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let writer: Store;
  let listener: pg.Client;
  const heard: string[] = [];

  before(async () => {
    database = await createTestDatabase('postgres');
    writer = await openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    await writer.migrate();
    listener = new pg.Client({ connectionString: database.databaseUrl });
    await listener.connect();
    listener.on('notification', (message) => {
      if (message.channel === SESSION_CHANGE_CHANNEL) heard.push(message.payload ?? '');
    });
    await listener.query(`LISTEN ${SESSION_CHANGE_CHANNEL}`);
  });

  after(async () => {
    await listener?.end();
    await writer?.close();
    await database?.drop();
  });

  async function newLogin(): Promise<{ user: User; first: RefreshTokenRecord }> {
    const user = await writer.createUser({ username: unique('user'), passwordHash: 'h', dateJoined: NOW });
    const first: RefreshTokenRecord = { jti: unique('jti'), familyId: unique('family'), userId: user.id, issuedAt: NOW, expiresAt: NOW + HOUR };
    await writer.startFamily(first);
    return { user, first };
  }

  const changes: [string, (login: { user: User; first: RefreshTokenRecord }) => Promise<unknown>][] = [
    ['logout (revokeRefreshToken)', ({ first }) => writer.revokeRefreshToken(first.jti, NOW)],
    ['revokeFamily', ({ first }) => writer.revokeFamily(first.familyId, NOW)],
    ['logout everywhere (revokeAllForUser)', ({ user }) => writer.revokeAllForUser(user.id, NOW)],
    ['deactivation', ({ user }) => writer.setUserActive(user.id, false, NOW)],
    ['reactivation', ({ user }) => writer.setUserActive(user.id, true, NOW)],
    ['password change', ({ user }) => writer.setPasswordHash(user.id, 'h2', { revokeSessions: true, now: NOW })],
    ['custom claims', ({ user }) => writer.setCustomClaims(user.id, { role: 'x' })],
    [
      'refresh-token reuse',
      async ({ user, first }) => {
        await writer.consumeRefreshToken(first.jti, { ...first, jti: unique('jti') }, NOW);
        assert.equal((await writer.consumeRefreshToken(first.jti, undefined, NOW)).outcome, 'reused');
        assert.equal((await writer.authState(user.id, first.familyId, NOW))?.familyActive, false);
      },
    ],
  ];

  for (const [name, change] of changes) {
    it(`notifies the user's id on ${name}`, async () => {
      const login = await newLogin();
      heard.length = 0;
      await change(login);
      await eventually(`a notification for ${name}`, () => heard.includes(String(login.user.id)));
    });
  }

  it('does not notify on a refresh, which only moves the login\'s last use', async () => {
    const { user, first } = await newLogin();
    heard.length = 0;
    assert.equal((await writer.consumeRefreshToken(first.jti, { ...first, jti: unique('jti') }, NOW + 1, { client: { userAgent: 'x', ip: '198.51.100.1' } })).outcome, 'rotated');
    // A notification sent now would arrive before this one: the revocation's is the first heard.
    await writer.revokeFamily(first.familyId, NOW + 2);
    await eventually('the revocation\'s notification', () => heard.includes(String(user.id)));
    assert.equal(heard.filter((id) => id === String(user.id)).length, 1, 'one notification: the revocation\'s');
  });

  it('notifies only when the changing transaction commits', async () => {
    const { user, first } = await newLogin();
    const client = new pg.Client({ connectionString: database.databaseUrl });
    await client.connect();
    try {
      heard.length = 0;
      await client.query('begin');
      await client.query('update refresh_families set revoked_at = $1 where id = $2', [NOW, first.familyId]);
      await client.query('select pg_sleep(0.2)'); // time for a notification to arrive, were it sent early
      assert.equal(heard.length, 0, 'nothing before the commit');
      await client.query('commit');
      await eventually('the notification after commit', () => heard.includes(String(user.id)));
    } finally {
      await client.end();
    }
  });

  it('reaches another process\'s view: a change is seen long before the age bound', async () => {
    const reader = await openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, sessionStateMaxAgeMs: 60_000 });
    try {
      const { user, first } = await newLogin();
      await eventually('the view is listening', async () => {
        await reader.authState(user.id, first.familyId, NOW);
        return reader.authStateNow?.(user.id, first.familyId)?.familyActive === true;
      });
      await writer.revokeFamily(first.familyId, NOW);
      await eventually('the revocation reaches the view', async () => (await reader.authState(user.id, first.familyId, NOW))?.familyActive === false, 10_000);
      assert.equal(reader.authStateNow?.(user.id, first.familyId)?.familyActive ?? false, false);
    } finally {
      await reader.close();
    }
  });

  it('keeps nothing with a bound of 0: every check is a query', async () => {
    const reader = await openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, sessionStateMaxAgeMs: 0 });
    try {
      const { user, first } = await newLogin();
      assert.equal((await reader.authState(user.id, first.familyId, NOW))?.familyActive, true);
      assert.equal(reader.authStateNow, undefined, 'no memory to answer from');
      await writer.revokeFamily(first.familyId, NOW);
      assert.equal((await reader.authState(user.id, first.familyId, NOW))?.familyActive, false, 'at once, with no notification');
    } finally {
      await reader.close();
    }
  });

  it('keeps a busy login answered from memory past the bound by reading it again ahead', async () => {
    const reader = await openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, sessionStateMaxAgeMs: 200 });
    try {
      const { user, first } = await newLogin();
      await eventually('remembered', async () => {
        await reader.authState(user.id, first.familyId, NOW);
        return reader.authStateNow?.(user.id, first.familyId) !== undefined;
      });
      // Without reading ahead the entry would expire every 200 ms and leave gaps.
      let gaps = 0;
      const until = Date.now() + 1_000;
      while (Date.now() < until) {
        if (reader.authStateNow?.(user.id, first.familyId) === undefined) gaps += 1;
        await sleep(5);
      }
      assert.equal(gaps, 0);
    } finally {
      await reader.close();
    }
  });

  it('sees this process\'s own changes at once, without waiting for its notification', async () => {
    const reader = await openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, sessionStateMaxAgeMs: 60_000 });
    try {
      const user = await reader.createUser({ username: unique('own'), passwordHash: 'h', dateJoined: NOW });
      const logins: RefreshTokenRecord[] = [];
      for (let i = 0; i < 4; i += 1) {
        const login: RefreshTokenRecord = { jti: unique('jti'), familyId: unique('family'), userId: user.id, issuedAt: NOW, expiresAt: NOW + HOUR };
        await reader.startFamily(login);
        logins.push(login);
      }
      const [a, b, c, d] = logins as [RefreshTokenRecord, RefreshTokenRecord, RefreshTokenRecord, RefreshTokenRecord];
      const warm = async (login: RefreshTokenRecord): Promise<void> =>
        eventually('remembered', async () => {
          await reader.authState(user.id, login.familyId, NOW);
          return reader.authStateNow?.(user.id, login.familyId)?.familyActive === true;
        });
      const active = (login: RefreshTokenRecord): boolean | undefined => reader.authStateNow?.(user.id, login.familyId)?.familyActive;
      await warm(a);
      await reader.revokeFamily(a.familyId, NOW);
      assert.notEqual(active(a), true, 'revokeFamily');
      await warm(b);
      await reader.revokeRefreshToken(b.jti, NOW);
      assert.notEqual(active(b), true, 'revokeRefreshToken');
      await warm(c);
      await reader.consumeRefreshToken(c.jti, { ...c, jti: unique('jti') }, NOW);
      await warm(c);
      await reader.consumeRefreshToken(c.jti, undefined, NOW);
      assert.notEqual(active(c), true, 'reuse');
      await warm(d);
      await reader.setUserActive(user.id, false, NOW);
      assert.notEqual(reader.authStateNow?.(user.id, d.familyId)?.user.isActive, true, 'deactivation');
    } finally {
      await reader.close();
    }
  });

  for (const mode of ['refuse', 'blackhole'] as const) {
    it(`through a cut (${mode}): answers 503 in bounded time, and drops its view when the channel is back`, async () => {
      const proxy: TcpProxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
      const url = new URL(database.databaseUrl ?? '');
      url.port = String(proxy.port);
      const reader = await openStore({ databaseUrl: url.toString(), dataDir: database.dataDir, sessionStateMaxAgeMs: 60_000, timeoutMs: 500 });
      try {
        const { user, first } = await newLogin();
        await eventually('the view is listening', async () => {
          await reader.authState(user.id, first.familyId, NOW);
          return reader.authStateNow?.(user.id, first.familyId)?.familyActive === true;
        });
        proxy.cut(mode);
        await assertUnavailable(reader.createUser({ username: unique('cut'), passwordHash: 'h', dateJoined: NOW }));
        await assertUnavailable(reader.revokeAllForUser(user.id, NOW));
        // Revoked where this process cannot hear it; its view may still answer within the bound.
        await writer.revokeFamily(first.familyId, NOW);
        proxy.restore();
        // Back: the missed notification must not leave the old answer standing for the 60 s bound.
        await eventually('the view is dropped on reconnect', async () => {
          try {
            return (await reader.authState(user.id, first.familyId, NOW))?.familyActive === false;
          } catch {
            return false;
          }
        }, 20_000);
      } finally {
        await reader.close();
        await proxy.close();
      }
    });
  }
});
