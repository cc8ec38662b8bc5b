import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { isGatehouseError } from '../src/errors.js';
import { openStore } from '../src/store/open-store.js';
import type { ConsumeResult, RefreshTokenRecord, StoredSigningKey, Store, User } from '../src/store/store.js';
import { createTestDatabase, DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

function unique(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

function token(user: User, familyId: string, overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return { jti: unique('jti'), familyId, userId: user.id, issuedAt: NOW, expiresAt: NOW + HOUR, ...overrides };
}

async function assertRejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isGatehouseError(error) && error.code === code);
}

function countOutcomes(results: readonly ConsumeResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { outcome } of results) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

type ChildTask =
  | { readonly kind: 'migrate' }
  | { readonly kind: 'consume'; readonly first: RefreshTokenRecord; readonly count: number; readonly now: number; readonly graceMs?: number }
  | { readonly kind: 'deactivate'; readonly userId: number; readonly now: number }
  | { readonly kind: 'revokeFamily'; readonly familyId: string; readonly now: number };

/**
 * A separate Node process, as a worker is: opens the store, says "ready", waits for "go" on
 * stdin (so every child starts at once), runs its task and prints the outcomes as JSON.
 */
const CHILD_SCRIPT = `
const { moduleUrl, databaseUrl, dataDir, task } = JSON.parse(process.argv[1]);
const { openStore } = await import(moduleUrl);
const store = await openStore({ databaseUrl: databaseUrl ?? undefined, dataDir });
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  let outcomes;
  if (task.kind === 'migrate') {
    await store.migrate();
    outcomes = [String(await store.isReady())];
  } else if (task.kind === 'deactivate') {
    await store.setUserActive(task.userId, false, task.now);
    outcomes = ['done'];
  } else if (task.kind === 'revokeFamily') {
    await store.revokeFamily(task.familyId, task.now);
    outcomes = ['done'];
  } else {
    const { first, count, now } = task;
    const results = await Promise.all(Array.from({ length: count }, (_, i) => store.consumeRefreshToken(first.jti,
      { ...first, jti: first.jti + '-' + process.pid + '-' + i, issuedAt: now }, now, { graceMs: task.graceMs ?? 0 })));
    outcomes = results.map((result) => result.outcome === 'retried' ? 'retried:' + result.successor.jti : result.outcome);
  }
  await store.close();
  process.stdout.write(JSON.stringify({ pid: process.pid, outcomes }) + '\\n');
  process.stdin.destroy();
});
`;

/** Runs `task` in `processes` child processes at once; returns each child's pid and outcomes. */
async function runInChildProcesses(
  database: TestDatabase,
  processes: number,
  task: ChildTask,
): Promise<{ pid: number; outcomes: string[] }[]> {
  const argument = JSON.stringify({
    moduleUrl: new URL('../src/store/open-store.js', import.meta.url).href,
    databaseUrl: database.databaseUrl ?? null,
    dataDir: database.dataDir,
    task,
  });
  const children = Array.from({ length: processes }, () =>
    spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT, argument], {
      stdio: ['pipe', 'pipe', 'inherit'],
      timeout: 30_000,
    }),
  );
  try {
    const outputs = children.map((child) => {
      let text = '';
      child.stdout.setEncoding('utf8');
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          text += chunk;
          if (text.includes('ready\n')) resolve();
        });
        child.once('exit', () => reject(new Error('child exited before it was ready')));
      });
      return { ready, done: once(child, 'exit').then(() => text) };
    });
    await Promise.all(outputs.map((output) => output.ready));
    for (const child of children) child.stdin.write('go\n');
    const texts = await Promise.all(outputs.map((output) => output.done));
    return texts.map((text) => JSON.parse(text.split('\n')[1] ?? 'null') as { pid: number; outcomes: string[] });
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

describe('openStore configuration', () => {
  it('refuses an unsupported URL without echoing it', async () => {
    await assert.rejects(
      openStore({ databaseUrl: 'mysql://admin:s3cret-pass@db.example/gatehouse', dataDir: '/nonexistent' }),
      (error: unknown) =>
        isGatehouseError(error) &&
        error.code === 'config_invalid' &&
        !error.message.includes('s3cret-pass') &&
        !JSON.stringify(error.body).includes('s3cret-pass'),
    );
  });

  it('opens an in-memory SQLite store from sqlite::memory:', async () => {
    const store = await openStore({ databaseUrl: 'sqlite::memory:', dataDir: '/nonexistent' });
    try {
      assert.equal(store.dialect, 'sqlite');
      await store.migrate();
      assert.equal(await store.isReady(), true);
    } finally {
      await store.close();
    }
  });

  it('creates a private data directory and database file for the default SQLite store', async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-store-'));
    const dataDir = path.join(parent, 'nested', 'data');
    try {
      const store = await openStore({ databaseUrl: undefined, dataDir });
      await store.close();
      assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
      assert.equal((await stat(path.join(dataDir, 'gatehouse.sqlite3'))).mode & 0o777, 0o600);

      const file = path.join(parent, 'other', 'explicit.db');
      const explicit = await openStore({ databaseUrl: `sqlite:${file}`, dataDir: '/nonexistent' });
      await explicit.migrate();
      await explicit.close();
      assert.ok((await stat(file)).isFile());
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('reports not ready (without throwing) when PostgreSQL is unreachable', async () => {
    const store = await openStore({ databaseUrl: 'postgres://nobody@127.0.0.1:1/none', dataDir: '/nonexistent' });
    try {
      assert.equal(await store.isReady(), false);
    } finally {
      await store.close();
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`store conformance: ${dialect}`, { timeout: 60_000 }, () => {
    let database: TestDatabase;
    let store: Store;
    let otherStore: Store;

    before(async () => {
      database = await createTestDatabase(dialect);
      // On SQLite the store under test keeps a session-state view with a long age bound, so the
      // authState tests below fail if a change went unnoticed. PostgreSQL's view hears changes
      // asynchronously (LISTEN): test/session-state.test.ts covers it.
      const sessionStateMaxAgeMs = dialect === 'sqlite' ? 60_000 : undefined;
      store = await openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, sessionStateMaxAgeMs });
      await store.migrate();
      otherStore = await openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    });

    after(async () => {
      await store?.close();
      await otherStore?.close();
      await database?.drop();
    });

    async function newUser(overrides: Partial<Parameters<Store['createUser']>[0]> = {}): Promise<User> {
      return store.createUser({ username: unique('user'), passwordHash: 'hash', dateJoined: NOW, ...overrides });
    }

    async function newFamily(user: User): Promise<RefreshTokenRecord> {
      const first = token(user, unique('family'));
      await store.startFamily(first);
      return first;
    }

    describe('migrations and readiness', () => {
      it('is not ready before migrating, then migrates twice and concurrently from two stores', async () => {
        const fresh = await createTestDatabase(dialect);
        const first = await openStore({ databaseUrl: fresh.databaseUrl, dataDir: fresh.dataDir });
        const second = await openStore({ databaseUrl: fresh.databaseUrl, dataDir: fresh.dataDir });
        try {
          assert.equal(await first.isReady(), false);
          await Promise.all([first.migrate(), second.migrate()]);
          await first.migrate();
          assert.equal(await first.isReady(), true);
          assert.equal(await second.isReady(), true);
          const user = await second.createUser({ username: 'after-migrate', passwordHash: 'h', dateJoined: NOW });
          assert.equal((await first.findUserById(user.id))?.username, 'after-migrate');
        } finally {
          await first.close();
          await second.close();
          await fresh.drop();
        }
      });

      it('migrates a fresh database from three processes at once', async () => {
        const fresh = await createTestDatabase(dialect);
        try {
          const children = await runInChildProcesses(fresh, 3, { kind: 'migrate' });
          assert.deepEqual(
            children.map((child) => child.outcomes),
            [['true'], ['true'], ['true']],
          );
        } finally {
          await fresh.drop();
        }
      });

      it('close is idempotent', async () => {
        const extra = await openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
        await extra.close();
        await extra.close();
      });
    });

    describe('users', () => {
      it('creates and finds users with all their fields', async () => {
        const username = unique('alice');
        const created = await store.createUser({
          username,
          passwordHash: 'argon-hash',
          dateJoined: NOW,
          customClaims: { roles: ['admin'] },
        });
        assert.equal(created.username, username);
        assert.equal(created.passwordHash, 'argon-hash');
        assert.equal(created.isActive, true);
        assert.equal(created.lastLogin, null);
        assert.equal(created.dateJoined, NOW);
        assert.deepEqual(created.customClaims, { roles: ['admin'] });
        assert.equal(typeof created.id, 'number');
        assert.deepEqual(await store.findUserById(created.id), created);
        assert.deepEqual(await store.findUserByUsername(username), created);
        assert.equal(await store.findUserByUsername(username.toUpperCase()), undefined);
        assert.equal(await store.findUserById(987_654_321), undefined);
        const listed = await store.listUsers();
        assert.deepEqual(listed.find((user) => user.id === created.id), created);
        assert.deepEqual(
          listed.map((user) => user.id),
          [...listed.map((user) => user.id)].sort((a, b) => a - b),
        );
      });

      it('keeps optional fields given at creation', async () => {
        const user = await newUser({ isActive: false, lastLogin: NOW - 5 });
        assert.equal(user.isActive, false);
        assert.equal(user.lastLogin, NOW - 5);
        assert.deepEqual(user.customClaims, {});
      });

      it('refuses a duplicate username with username_taken, case-sensitively', async () => {
        const user = await newUser();
        await assertRejectsWithCode(newUser({ username: user.username }), 'username_taken');
        await assert.rejects(newUser({ username: user.username }), (error: unknown) => {
          assert.ok(isGatehouseError(error));
          assert.deepEqual(Object.keys(error.body), ['username']);
          return true;
        });
        const upper = await newUser({ username: user.username.toUpperCase() });
        assert.notEqual(upper.id, user.id);
      });

      it('lets exactly one of 10 concurrent creators (across two stores) take a username', async () => {
        const username = unique('race');
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 === 0 ? store : otherStore).createUser({ username, passwordHash: 'h', dateJoined: NOW }),
          ),
        );
        assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
        for (const result of results) {
          if (result.status === 'rejected') {
            assert.ok(isGatehouseError(result.reason) && result.reason.code === 'username_taken');
          }
        }
      });

      it('records logins, custom claims and password hashes', async () => {
        const user = await newUser();
        await store.recordLogin(user.id, NOW + 10);
        await store.setCustomClaims(user.id, { plan: 'pro', n: 2 });
        await store.setPasswordHash(user.id, 'new-hash', { revokeSessions: false, now: NOW });
        const found = await store.findUserById(user.id);
        assert.equal(found?.lastLogin, NOW + 10);
        assert.deepEqual(found?.customClaims, { plan: 'pro', n: 2 });
        assert.equal(found?.passwordHash, 'new-hash');
      });

      it('changes a password without revoking sessions when not asked to', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        await store.setPasswordHash(user.id, 'other', { revokeSessions: false, now: NOW });
        assert.equal(await store.refreshTokenState(first.jti, NOW), 'active');
      });
    });

    describe('refresh tokens', () => {
      it('rotates once, records the successor, and reports reuse by revoking the family', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        assert.equal(await store.refreshTokenState(first.jti, NOW), 'active');

        const second = token(user, first.familyId);
        const rotated = await store.consumeRefreshToken(first.jti, second, NOW + 1);
        assert.deepEqual(rotated, { outcome: 'rotated', token: first });
        assert.equal(await store.refreshTokenState(first.jti, NOW + 1), 'used');
        assert.equal(await store.refreshTokenState(second.jti, NOW + 1), 'active');

        const third = token(user, first.familyId);
        const reused = await store.consumeRefreshToken(first.jti, third, NOW + 2);
        assert.deepEqual(reused, { outcome: 'reused', token: first });
        assert.equal(await store.refreshTokenState(third.jti, NOW + 2), 'unknown');
        assert.equal(await store.refreshTokenState(second.jti, NOW + 2), 'revoked');
        assert.deepEqual(await store.consumeRefreshToken(second.jti, undefined, NOW + 3), { outcome: 'revoked' });
        assert.equal((await store.authState(user.id, first.familyId, NOW + 3))?.familyActive, false);
      });

      it('rotates without a successor', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        assert.equal((await store.consumeRefreshToken(first.jti, undefined, NOW)).outcome, 'rotated');
        assert.equal(await store.refreshTokenState(first.jti, NOW), 'used');
      });

      it('refuses a successor from another family and leaves the token unused', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        await assert.rejects(store.consumeRefreshToken(first.jti, token(user, unique('elsewhere')), NOW));
        assert.equal(await store.refreshTokenState(first.jti, NOW), 'active');
      });

      it('reports unknown and expired tokens without recording successors', async () => {
        const user = await newUser();
        assert.deepEqual(await store.consumeRefreshToken(unique('never'), undefined, NOW), { outcome: 'unknown' });
        assert.equal(await store.refreshTokenState(unique('never'), NOW), 'unknown');

        const first = await newFamily(user);
        const successor = token(user, first.familyId);
        const late = first.expiresAt;
        assert.deepEqual(await store.consumeRefreshToken(first.jti, successor, late), { outcome: 'expired' });
        assert.equal(await store.refreshTokenState(first.jti, late), 'expired');
        assert.equal(await store.refreshTokenState(successor.jti, late), 'unknown');
      });

      it('records tokens outside rotation, starting the family if needed', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        const extra = token(user, first.familyId);
        await store.recordRefreshToken(extra);
        assert.equal(await store.refreshTokenState(extra.jti, NOW), 'active');
        const lone = token(user, unique('family'));
        await store.recordRefreshToken(lone);
        assert.equal(await store.refreshTokenState(lone.jti, NOW), 'active');
        assert.equal((await store.authState(user.id, lone.familyId, NOW))?.familyActive, true);
      });

      it('lets exactly one of 20 concurrent consumers rotate, recording one successor', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        const successors = Array.from({ length: 20 }, () => token(user, first.familyId));
        const results = await Promise.all(
          successors.map((successor) => store.consumeRefreshToken(first.jti, successor, NOW)),
        );
        const counts = countOutcomes(results);
        assert.equal(counts['rotated'], 1);
        assert.equal((counts['reused'] ?? 0) + (counts['revoked'] ?? 0), 19);
        const states = await Promise.all(successors.map((successor) => store.refreshTokenState(successor.jti, NOW)));
        assert.equal(states.filter((state) => state !== 'unknown').length, 1);
        const winner = successors[results.findIndex((result) => result.outcome === 'rotated')];
        assert.notEqual(await store.refreshTokenState(winner?.jti ?? '', NOW), 'unknown');
      });

      it('lets exactly one of 20 concurrent consumers across two stores rotate', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        const successors = Array.from({ length: 20 }, () => token(user, first.familyId));
        const results = await Promise.all(
          successors.map((successor, i) => (i % 2 === 0 ? store : otherStore).consumeRefreshToken(first.jti, successor, NOW)),
        );
        assert.equal(countOutcomes(results)['rotated'], 1);
        const states = await Promise.all(successors.map((successor) => store.refreshTokenState(successor.jti, NOW)));
        assert.equal(states.filter((state) => state !== 'unknown').length, 1);
      });

      it('lets exactly one of 20 consumers in two separate processes rotate', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        const children = await runInChildProcesses(database, 2, { kind: 'consume', first, count: 10, now: NOW });
        const outcomes = children.flatMap((child) => child.outcomes);
        assert.equal(outcomes.length, 20);
        assert.equal(outcomes.filter((outcome) => outcome === 'rotated').length, 1);
        assert.ok(outcomes.every((outcome) => ['rotated', 'reused', 'revoked'].includes(outcome)));
        const successorJtis = children.flatMap((child) =>
          Array.from({ length: 10 }, (_, i) => `${first.jti}-${child.pid}-${i}`),
        );
        const states = await Promise.all(successorJtis.map((jti) => store.refreshTokenState(jti, NOW)));
        assert.equal(states.filter((state) => state !== 'unknown').length, 1);
      });

      it('within the grace, gives every other consumer in two processes the winner\'s one successor', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        const children = await runInChildProcesses(database, 2, { kind: 'consume', first, count: 10, now: NOW, graceMs: 10_000 });
        const outcomes = children.flatMap((child) => child.outcomes);
        assert.equal(outcomes.filter((outcome) => outcome === 'rotated').length, 1);
        const retried = outcomes.filter((outcome) => outcome.startsWith('retried:'));
        assert.equal(retried.length, 19);
        assert.equal(new Set(retried).size, 1, 'one successor for all');
        const successor = (retried[0] ?? '').slice('retried:'.length);
        assert.equal(await store.refreshTokenState(successor, NOW), 'active');
        const successorJtis = children.flatMap((child) => Array.from({ length: 10 }, (_, i) => `${first.jti}-${child.pid}-${i}`));
        const states = await Promise.all(successorJtis.map((jti) => store.refreshTokenState(jti, NOW)));
        assert.equal(states.filter((state) => state !== 'unknown').length, 1, 'never two children');
      });

      it('hands out a successor again only within the grace and while it is unused', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        const second = token(user, first.familyId, { issuedAt: NOW + 1 });
        assert.equal((await store.consumeRefreshToken(first.jti, second, NOW + 1, { graceMs: 1000 })).outcome, 'rotated');
        const again = await store.consumeRefreshToken(first.jti, token(user, first.familyId), NOW + 500, { graceMs: 1000 });
        assert.deepEqual(again, { outcome: 'retried', token: first, successor: second });
        // Strict callers (grace 0) see reuse at once; here, past the grace: reuse, family revoked.
        const late = await store.consumeRefreshToken(first.jti, token(user, first.familyId), NOW + 1002, { graceMs: 1000 });
        assert.equal(late.outcome, 'reused');
        assert.equal(await store.refreshTokenState(second.jti, NOW + 1002), 'revoked');

        const other = await newFamily(user);
        const child = token(user, other.familyId, { issuedAt: NOW + 1 });
        const grandchild = token(user, other.familyId, { issuedAt: NOW + 2 });
        await store.consumeRefreshToken(other.jti, child, NOW + 1, { graceMs: 1000 });
        await store.consumeRefreshToken(child.jti, grandchild, NOW + 2, { graceMs: 1000 });
        const replay = await store.consumeRefreshToken(other.jti, token(user, other.familyId), NOW + 3, { graceMs: 1000 });
        assert.equal(replay.outcome, 'reused', 'the successor was itself rotated');
        assert.equal(await store.refreshTokenState(grandchild.jti, NOW + 3), 'revoked');
      });

      it('never leaves two active tokens in a family, whatever the sequence of operations', async () => {
        // Mostly rotations (of any token issued so far, used or not), with occasional revocations.
        const operation = fc.oneof(
          { arbitrary: fc.record({ kind: fc.constant('rotate' as const), pick: fc.nat(), grace: fc.boolean() }), weight: 8 },
          { arbitrary: fc.record({ kind: fc.constant('revokeToken' as const), pick: fc.nat() }), weight: 1 },
          { arbitrary: fc.record({ kind: fc.constant('revokeFamily' as const) }), weight: 1 },
          { arbitrary: fc.record({ kind: fc.constant('revokeUser' as const) }), weight: 1 },
        );
        const user = await newUser();
        await fc.assert(
          fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 8 }), async (operations) => {
            const first = await newFamily(user);
            const issued = [first.jti];
            let revoked = false;
            for (const [step, op] of operations.entries()) {
              const now = NOW + step + 1;
              if (op.kind === 'rotate') {
                const successor = token(user, first.familyId, { issuedAt: now });
                const result = await store.consumeRefreshToken(issued[op.pick % issued.length] ?? '', successor, now, { graceMs: op.grace ? 5 : 0 });
                if (result.outcome === 'rotated') issued.push(successor.jti);
                else assert.equal(await store.refreshTokenState(successor.jti, now), 'unknown');
                if (result.outcome === 'retried') assert.ok(issued.includes(result.successor.jti), 'only an issued successor is handed out again');
                if (result.outcome === 'reused') revoked = true;
              } else if (op.kind === 'revokeToken') {
                await store.revokeRefreshToken(issued[op.pick % issued.length] ?? '', now);
                revoked = true;
              } else if (op.kind === 'revokeFamily') {
                await store.revokeFamily(first.familyId, now);
                revoked = true;
              } else {
                await store.revokeAllForUser(user.id, now);
                revoked = true;
              }
              const states = await Promise.all(issued.map((jti) => store.refreshTokenState(jti, now)));
              const active = states.filter((state) => state === 'active').length;
              assert.ok(active <= 1);
              if (revoked) assert.equal(active, 0);
            }
          }),
          { numRuns: 25 },
        );
      });
    });

    describe('revocation', () => {
      it('revokes one family and leaves the user’s other families alone', async () => {
        const user = await newUser();
        const a = await newFamily(user);
        const b = await newFamily(user);
        await store.revokeFamily(a.familyId, NOW);
        assert.equal(await store.refreshTokenState(a.jti, NOW), 'revoked');
        assert.equal(await store.refreshTokenState(b.jti, NOW), 'active');
        assert.deepEqual(await store.consumeRefreshToken(a.jti, token(user, a.familyId), NOW), { outcome: 'revoked' });
        assert.equal((await store.authState(user.id, a.familyId, NOW))?.familyActive, false);
        assert.equal((await store.authState(user.id, b.familyId, NOW))?.familyActive, true);
      });

      it('blacklists a token, returning its previous state, and revokes its family', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        const sibling = token(user, first.familyId);
        await store.recordRefreshToken(sibling);
        assert.equal(await store.revokeRefreshToken(first.jti, NOW), 'active');
        assert.equal(await store.revokeRefreshToken(first.jti, NOW), 'revoked');
        assert.equal(await store.refreshTokenState(sibling.jti, NOW), 'revoked');
        assert.equal(await store.revokeRefreshToken(unique('never'), NOW), 'unknown');
      });

      it('logs a user out everywhere, sparing other users', async () => {
        const user = await newUser();
        const bystander = await newUser();
        const a = await newFamily(user);
        const b = await newFamily(user);
        const c = await newFamily(bystander);
        await store.revokeAllForUser(user.id, NOW);
        assert.equal(await store.refreshTokenState(a.jti, NOW), 'revoked');
        assert.equal(await store.refreshTokenState(b.jti, NOW), 'revoked');
        assert.equal(await store.refreshTokenState(c.jti, NOW), 'active');
      });

      it('revokes every session on deactivation, and reactivation does not restore them', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        await store.setUserActive(user.id, false, NOW);
        const state = await store.authState(user.id, first.familyId, NOW);
        assert.equal(state?.user.isActive, false);
        assert.equal(state?.familyActive, false);
        await store.setUserActive(user.id, true, NOW);
        assert.equal((await store.findUserById(user.id))?.isActive, true);
        assert.equal(await store.refreshTokenState(first.jti, NOW), 'revoked');
      });

      it('revokes every session on a password change that asks for it', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        await store.setPasswordHash(user.id, 'changed', { revokeSessions: true, now: NOW });
        assert.equal(await store.refreshTokenState(first.jti, NOW), 'revoked');
        assert.equal((await store.findUserById(user.id))?.passwordHash, 'changed');
      });
    });

    describe('authState', () => {
      it('returns the user and whether the family is live for that user', async () => {
        const user = await newUser({ customClaims: { role: 'x' } });
        const other = await newUser();
        const first = await newFamily(user);
        const state = await store.authState(user.id, first.familyId, NOW);
        assert.deepEqual(state, { user, familyActive: true });
        assert.equal((await store.authState(user.id, unique('nope'), NOW))?.familyActive, false);
        assert.equal((await store.authState(other.id, first.familyId, NOW))?.familyActive, false);
        assert.equal(await store.authState(987_654_321, first.familyId, NOW), undefined);
      });

      // On SQLite the answer is kept in memory until the file changes: these would fail if a
      // change went unnoticed.
      it('sees changes through this store and through another connection at once', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        const second = await newFamily(user);
        assert.equal((await store.authState(user.id, first.familyId, NOW))?.familyActive, true);
        await store.revokeFamily(first.familyId, NOW);
        assert.equal((await store.authState(user.id, first.familyId, NOW))?.familyActive, false);
        assert.equal((await store.authState(user.id, second.familyId, NOW))?.user.isActive, true);
        await otherStore.setUserActive(user.id, false, NOW);
        assert.equal((await store.authState(user.id, second.familyId, NOW))?.user.isActive, false);
        await otherStore.setUserActive(user.id, true, NOW);
        assert.equal((await store.authState(user.id, second.familyId, NOW))?.user.isActive, true);
      });

      it('sees a change another process committed as soon as that process is done', async () => {
        const user = await newUser();
        const first = await newFamily(user);
        const second = await newFamily(user);
        assert.equal((await store.authState(user.id, first.familyId, NOW))?.familyActive, true);
        assert.equal((await store.authState(user.id, second.familyId, NOW))?.user.isActive, true);
        await runInChildProcesses(database, 1, { kind: 'revokeFamily', familyId: first.familyId, now: NOW });
        assert.equal((await store.authState(user.id, first.familyId, NOW))?.familyActive, false);
        await runInChildProcesses(database, 1, { kind: 'deactivate', userId: user.id, now: NOW });
        assert.equal((await store.authState(user.id, second.familyId, NOW))?.user.isActive, false);
      });

      // GET /api/me/'s fast path relies on this answer being authState's own.
      it('answers synchronously, as authState does, where the dialect can (SQLite)', async () => {
        if (dialect !== 'sqlite') {
          assert.equal(store.authStateNow, undefined, 'PostgreSQL without a view needs a round trip');
          return;
        }
        const now = (userId: number, familyId: string) => store.authStateNow?.(userId, familyId);
        const user = await newUser();
        const first = await newFamily(user);
        assert.deepEqual(now(user.id, first.familyId), await store.authState(user.id, first.familyId, NOW));
        assert.equal(now(user.id, first.familyId)?.familyActive, true);
        assert.equal(now(987_654_321, first.familyId), undefined, 'no such user');
        await store.revokeFamily(first.familyId, NOW);
        assert.equal(now(user.id, first.familyId)?.familyActive, false);
        const second = await newFamily(user);
        await runInChildProcesses(database, 1, { kind: 'deactivate', userId: user.id, now: NOW });
        assert.equal(now(user.id, second.familyId)?.user.isActive, false, 'another process\'s change is seen');
      });
    });

    describe('flushExpired', () => {
      it('deletes expired tokens and emptied expired families, keeping live ones', async () => {
        const user = await newUser();
        const base = NOW + 100 * HOUR; // later than every other test's expiries
        const old = token(user, unique('family'), { issuedAt: base, expiresAt: base + 10 });
        await store.startFamily(old);
        const mixed = token(user, unique('family'), { issuedAt: base, expiresAt: base + 10 });
        await store.startFamily(mixed);
        const live = token(user, mixed.familyId, { issuedAt: base, expiresAt: base + HOUR });
        await store.recordRefreshToken(live);

        const flushed = await store.flushExpired(base + 20);
        assert.ok(flushed >= 2);
        assert.equal(await store.refreshTokenState(old.jti, base + 20), 'unknown');
        assert.equal(await store.refreshTokenState(mixed.jti, base + 20), 'unknown');
        assert.equal(await store.refreshTokenState(live.jti, base + 20), 'active');
        assert.equal((await store.authState(user.id, old.familyId, base + 20))?.familyActive, false);
        assert.equal((await store.authState(user.id, mixed.familyId, base + 20))?.familyActive, true);
        assert.equal(await store.flushExpired(base + 20), 0);
      });
    });

    describe('audit events', () => {
      it('records a batch, fills in the username, filters newest first, and deletes past retention', async () => {
        const user = await newUser();
        const base = NOW - 10 * HOUR;
        await store.recordAuditEvents([
          { at: base, event: 'user_created', userId: user.id, username: user.username, actorUsername: 'cli' },
          { at: base + 1, event: 'login_failed', userId: user.id, reason: 'wrong_password', ip: '203.0.113.7', userAgent: 'x'.repeat(600) },
          { at: base + 2, event: 'login_succeeded', userId: user.id, sessionId: 'f1' },
          { at: base + 3, event: 'login_failed', username: 'nobody-at-all', reason: 'unknown_user' },
        ]);
        const mine = await store.listAuditEvents({ userId: user.id, limit: 10 });
        assert.deepEqual(mine.map((e) => e.event), ['login_succeeded', 'login_failed', 'user_created']);
        assert.ok(mine.every((e) => e.username === user.username), 'the name is filled in from the user id');
        assert.equal(mine[1]?.ip, '203.0.113.7');
        assert.equal(mine[1]?.userAgent?.length, 512, 'a user agent is kept to a readable length');
        assert.equal(mine[2]?.actorUsername, 'cli');
        const failed = await store.listAuditEvents({ event: 'login_failed', since: base + 1, limit: 10 });
        assert.ok(failed.some((e) => e.username === 'nobody-at-all' && e.userId === null));
        assert.equal((await store.listAuditEvents({ userId: user.id, since: base + 2, limit: 10 })).length, 1);
        assert.equal((await store.listAuditEvents({ userId: user.id, limit: 1 })).length, 1);
        assert.ok((await store.deleteAuditEventsBefore(base + 2)) >= 2);
        assert.deepEqual((await store.listAuditEvents({ userId: user.id, limit: 10 })).map((e) => e.event), ['login_succeeded']);
      });
    });

    describe('signing keys', () => {
      it('inserts, lists, schedules and deletes retired keys', async () => {
        const kid = (name: string) => `${name}-${dialect}`;
        const key = (name: string, createdAt: number): StoredSigningKey => ({
          kid: kid(name),
          algorithm: 'EdDSA',
          publicJwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: name }),
          privateKey: `sealed:${name}`,
          createdAt,
          activatesAt: createdAt + 1,
          deactivatedAt: null,
          retiresAt: null,
        });
        const older = key('older', NOW);
        const newer = key('newer', NOW + 5);
        await store.insertSigningKey(newer);
        await store.insertSigningKey(older);
        assert.deepEqual(await store.listSigningKeys(), [older, newer]);

        await store.scheduleSigningKey(older.kid, { deactivatedAt: NOW + 10, retiresAt: NOW + 20 });
        await store.scheduleSigningKey(newer.kid, { retiresAt: NOW + 100 });
        await store.scheduleSigningKey(newer.kid, {});
        const [scheduledOlder, scheduledNewer] = await store.listSigningKeys();
        assert.deepEqual(scheduledOlder, { ...older, deactivatedAt: NOW + 10, retiresAt: NOW + 20 });
        assert.deepEqual(scheduledNewer, { ...newer, retiresAt: NOW + 100 });
        await store.scheduleSigningKey(newer.kid, { retiresAt: null });

        assert.deepEqual(await store.deleteRetiredSigningKeys(NOW + 19), []);
        assert.deepEqual(await store.deleteRetiredSigningKeys(NOW + 20), [older.kid]);
        assert.deepEqual(await store.deleteRetiredSigningKeys(NOW + 10_000), []);
        assert.deepEqual(await store.listSigningKeys(), [newer]);
      });
    });

    describe('withLock', () => {
      it('excludes holders across two stores and returns the callback’s value', async () => {
        const name = unique('lock');
        let inside = 0;
        let most = 0;
        const order: number[] = [];
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 === 0 ? store : otherStore).withLock(name, async () => {
              inside += 1;
              most = Math.max(most, inside);
              await sleep(15);
              order.push(i);
              inside -= 1;
              return i * 10;
            }),
          ),
        );
        assert.equal(most, 1);
        assert.equal(order.length, 6);
        assert.deepEqual(results, [0, 10, 20, 30, 40, 50]);
      });

      it('releases the lock when the callback throws, and different names do not block', async () => {
        const name = unique('lock');
        await assert.rejects(
          store.withLock(name, async () => {
            throw new Error('boom');
          }),
          /boom/,
        );
        const nested = await otherStore.withLock(name, () => store.withLock(unique('lock'), async () => 'both'));
        assert.equal(nested, 'both');
      });
    });
  });
}
