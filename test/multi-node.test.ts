// Two `gatehouse serve` nodes (two workers each, separate processes and ports) on one database:
// one PostgreSQL database reached through a TCP proxy the tests can cut, or one SQLite file.
// What a login, a refresh and a revocation on node A mean on node B, within the session-state
// bound (GATEHOUSE_SESSION_STATE_MAX_AGE) and well before it; and what both nodes answer while the
// database is unreachable (or, on SQLite, write-locked) and after it comes back.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { httpCall, type CallAnswer, type CallOptions } from './support/http-call.js';
import type { SpawnedServer } from './support/spawn-server.js';
import type { CutMode } from './support/tcp-proxy.js';
import { createSharedDatabase, SHARED_STORES, startTwoNodes, type SharedDatabase, type SharedStore, type TwoNodes } from './support/two-nodes.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const PASSWORD = 'two nodes, one database';
/** Slack on top of the bound before a refusal must be certain: timers fire late on a busy machine. */
const BOUND_MARGIN_MS = 250;
/** How many requests on fresh connections warm a token on a node: `serve` hands them to its two workers in turn. */
const WARM_REQUESTS = 4;
/** How long a revocation may take to reach the other node by notification (the bound there is 60 s). */
const NOTIFICATION_CAP_MS = 15_000;
/** How long both nodes get to heal by themselves once the database is back. */
const HEAL_CAP_MS = 20_000;
/**
 * The client timeout for calls during an outage: long enough that only a hang fails it. On
 * SQLite a worker waits out each write's busy timeout in turn, so a few writes queue for seconds.
 */
const OUTAGE_CALL = { timeoutMs: 15_000 } as const;

interface Tokens {
  readonly access: string;
  readonly refresh: string;
}

// ---------------------------------------------------------------------------------------------
// Calls

/** One call to `node` on a connection of its own. */
function call(node: SpawnedServer, pathname: string, options: CallOptions = {}): Promise<CallAnswer> {
  return httpCall(`${node.baseUrl}${pathname}`, options);
}

function describeAnswer(answer: CallAnswer): string {
  return `${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`;
}

function expectStatus(answer: CallAnswer, status: number, what: string): void {
  assert.equal(answer.status, status, `${what}: expected ${status}, got ${describeAnswer(answer)}`);
}

function tokensOf(answer: CallAnswer, what: string): Tokens {
  expectStatus(answer, 200, what);
  const body = answer.body as Partial<Tokens>;
  assert.ok(typeof body.access === 'string' && typeof body.refresh === 'string', `${what}: a token pair`);
  return { access: body.access, refresh: body.refresh };
}

function newUsername(): string {
  return `u${randomBytes(6).toString('hex')}`;
}

async function register(node: SpawnedServer, username = newUsername()): Promise<string> {
  expectStatus(await call(node, '/api/users/', { json: { username, password: PASSWORD } }), 201, 'registration');
  return username;
}

async function login(node: SpawnedServer, username: string): Promise<Tokens> {
  return tokensOf(await call(node, '/api/token/', { json: { username, password: PASSWORD } }), 'login');
}

async function refresh(node: SpawnedServer, refreshToken: string): Promise<Tokens> {
  return tokensOf(await call(node, '/api/token/refresh/', { json: { refresh: refreshToken } }), 'refresh');
}

/** `count` GET /api/me/ on fresh connections, in turn (so every worker of the node gets some). */
async function meStatuses(node: SpawnedServer, access: string, count: number): Promise<CallAnswer[]> {
  const answers: CallAnswer[] = [];
  for (let i = 0; i < count; i++) answers.push(await call(node, '/api/me/', { bearer: access }));
  return answers;
}

/** Every worker of `node` has answered 200 for `access`, so a per-process view holds it as valid. */
async function warm(node: SpawnedServer, access: string, what: string): Promise<void> {
  for (const answer of await meStatuses(node, access, WARM_REQUESTS)) expectStatus(answer, 200, `${what}: warming`);
}

function expectRefused(answer: CallAnswer, what: string): void {
  expectStatus(answer, 401, what);
  assert.equal(answer.code, 'token_not_valid', `${what}: code`);
}

function nodeLogs(node: SpawnedServer): string {
  return node.logs().slice(-3000);
}

// ---------------------------------------------------------------------------------------------
// The three ways a login is revoked, each done on node A

interface PreparedRevocation {
  /** Access tokens that work until the revocation and must be refused after it. */
  readonly access: readonly string[];
  /** Refresh tokens that must be refused after it. */
  readonly refresh: readonly string[];
  /** Makes the revoking call on node A; resolves once A has answered. */
  revoke(): Promise<void>;
}

interface Revocation {
  readonly name: string;
  /** Registers a user and logs in on `a` (nothing revoked yet). */
  prepare(a: SpawnedServer): Promise<PreparedRevocation>;
}

const LOGOUT: Revocation = {
  name: 'logout',
  async prepare(a) {
    const tokens = await login(a, await register(a));
    return {
      access: [tokens.access],
      refresh: [tokens.refresh],
      revoke: async () => expectStatus(await call(a, '/api/token/blacklist/', { json: { refresh: tokens.refresh } }), 200, 'logout on A'),
    };
  },
};

const REVOCATIONS: readonly Revocation[] = [
  LOGOUT,
  {
    name: 'logout everywhere',
    async prepare(a) {
      const username = await register(a);
      const first = await login(a, username);
      const second = await login(a, username);
      return {
        access: [first.access, second.access],
        refresh: [first.refresh, second.refresh],
        revoke: async () => expectStatus(await call(a, '/api/token/logout-all/', { bearer: first.access, json: {} }), 200, 'logout everywhere on A'),
      };
    },
  },
  {
    name: 'refresh-token reuse',
    async prepare(a) {
      const original = await login(a, await register(a));
      const rotated = await refresh(a, original.refresh);
      // Rotated twice: the original's successor is spent, so presenting the original again is
      // reuse whatever GATEHOUSE_ROTATION_GRACE allows (a retry within it gets the same successor).
      const latest = await refresh(a, rotated.refresh);
      return {
        access: [original.access, rotated.access, latest.access],
        refresh: [latest.refresh],
        // Reuse is taken as theft: the whole login is revoked.
        revoke: async () => expectRefused(await call(a, '/api/token/refresh/', { json: { refresh: original.refresh } }), 'reuse on A'),
      };
    },
  },
];

/** `node` refuses every one of `count` requests on fresh connections, spread over the revoked access tokens, and every refresh token. */
async function expectAllRefused(node: SpawnedServer, prepared: PreparedRevocation, count: number, what: string): Promise<void> {
  const perToken = Math.ceil(count / prepared.access.length);
  for (const [index, access] of prepared.access.entries()) {
    for (const [n, answer] of (await meStatuses(node, access, perToken)).entries()) expectRefused(answer, `${what}: access token ${index + 1}, request ${n + 1}`);
  }
  for (const [index, refreshToken] of prepared.refresh.entries()) {
    expectRefused(await call(node, '/api/token/refresh/', { json: { refresh: refreshToken } }), `${what}: refresh token ${index + 1}`);
  }
}

/** Polls `node` until a round of fresh-connection requests refuses every access token; resolves with the ms it took. */
async function refusedWithin(node: SpawnedServer, prepared: PreparedRevocation, capMs: number, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const rounds = await Promise.all(prepared.access.map((access) => meStatuses(node, access, WARM_REQUESTS)));
    if (rounds.flat().every((answer) => answer.status === 401)) return Date.now() - started;
    const accepted = rounds.flat().filter((answer) => answer.status === 200).length;
    assert.ok(Date.now() - started < capMs, `${what}: still accepted (${accepted} of ${rounds.flat().length}) ${capMs} ms after the revocation`);
    await sleep(25);
  }
}

// ---------------------------------------------------------------------------------------------
// Outages

interface Outage {
  readonly name: string;
  /** Makes the database unreachable (or write-locked) for every node. */
  begin(): void;
  /** Brings it back. */
  end(): void;
  /** `/readyz` during the outage: 503 where the database cannot be reached; unchecked where it can still be read. */
  readonly readyzDuring: 503 | undefined;
  /** GET /api/me/ for a valid token once the bound has passed: 503 (stale state is not used) or 200 (reads still work). */
  readonly meAfterBound: 200 | 503;
}

function proxyOutage(database: SharedDatabase, mode: CutMode): Outage {
  const proxy = database.proxy;
  assert.ok(proxy !== undefined, 'the PostgreSQL database is reached through the proxy');
  return {
    name: mode === 'refuse' ? 'PostgreSQL refuses connections' : 'PostgreSQL partitioned away (blackhole)',
    begin: () => proxy.cut(mode),
    end: () => proxy.restore(),
    readyzDuring: 503,
    meAfterBound: 503,
  };
}

/** Another process holds SQLite's write lock (BEGIN IMMEDIATE) until `end()`. */
function sqliteWriteLock(database: SharedDatabase): Outage {
  const file = database.sqliteFile;
  assert.ok(file !== undefined);
  let holder: Database.Database | undefined;
  return {
    name: 'SQLite write lock held by another process',
    begin() {
      holder = new Database(file);
      holder.exec('BEGIN IMMEDIATE');
    },
    end() {
      holder?.exec('ROLLBACK');
      holder?.close();
      holder = undefined;
    },
    readyzDuring: undefined,
    meAfterBound: 200,
  };
}

/** Runs `check` until it stops throwing, or rethrows its last error after `capMs`. */
async function eventually(capMs: number, check: () => Promise<void>): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await check();
      return Date.now() - started;
    } catch (error) {
      if (Date.now() - started > capMs) throw error;
      await sleep(200);
    }
  }
}

/**
 * The outage contract on both nodes: writes answer 503 `service_unavailable` (in bounded time:
 * the elapsed ms are reported, not asserted), JWKS keeps answering, a token revoked before the
 * outage is never accepted, a valid token is answered as `outage.meAfterBound` once the bound
 * has passed; then both nodes heal by themselves.
 */
async function checkOutage(t: TestContext, nodes: TwoNodes, outage: Outage, maxAgeMs: number): Promise<void> {
  const { a, b } = nodes;
  const both = [
    { label: 'A', node: a },
    { label: 'B', node: b },
  ];
  const username = await register(a);
  const good = await login(a, username);
  const revoked = await login(a, username);
  expectStatus(await call(a, '/api/token/blacklist/', { json: { refresh: revoked.refresh } }), 200, 'logout before the outage');
  for (const { label, node } of both) {
    await warm(node, good.access, `good token on ${label}`);
    for (const answer of await meStatuses(node, revoked.access, WARM_REQUESTS)) expectRefused(answer, `revoked token on ${label} before the outage`);
  }

  outage.begin();
  const cutAt = Date.now();
  try {
    let callsDone = false;
    // Meanwhile the revoked token keeps being presented to both nodes: it must never get a 200.
    let revokedAnswered = 0;
    const revokedWrongly: string[] = [];
    const watchRevoked = (async () => {
      while (!callsDone) {
        for (const { label, node } of both) {
          const answer = await call(node, '/api/me/', { bearer: revoked.access, ...OUTAGE_CALL }).catch((error: unknown) => String(error));
          revokedAnswered += 1;
          if (typeof answer === 'string') revokedWrongly.push(`${label}: ${answer}`);
          else if (answer.status !== 401 && answer.status !== 503) revokedWrongly.push(`${label}: ${describeAnswer(answer)}`);
        }
        await sleep(100);
      }
    })();

    // Everything that needs the database, on both nodes at once: each may wait out its timeout.
    const unavailable = { status: 503, code: 'service_unavailable' } as const;
    const calls = both.flatMap(({ label, node }) => [
      { what: `login on ${label}`, expected: unavailable, run: () => call(node, '/api/token/', { json: { username, password: PASSWORD }, ...OUTAGE_CALL }) },
      { what: `refresh on ${label}`, expected: unavailable, run: () => call(node, '/api/token/refresh/', { json: { refresh: good.refresh }, ...OUTAGE_CALL }) },
      { what: `registration on ${label}`, expected: unavailable, run: () => call(node, '/api/users/', { json: { username: newUsername(), password: PASSWORD }, ...OUTAGE_CALL }) },
      { what: `logout on ${label}`, expected: unavailable, run: () => call(node, '/api/token/blacklist/', { json: { refresh: good.refresh }, ...OUTAGE_CALL }) },
      ...(outage.readyzDuring === undefined ? [] : [{ what: `/readyz on ${label}`, expected: { status: outage.readyzDuring, code: undefined }, run: () => call(node, '/readyz', OUTAGE_CALL) }]),
      // The public keys are in memory: they keep being served.
      { what: `JWKS on ${label}`, expected: { status: 200, code: undefined }, run: () => call(node, '/.well-known/jwks.json', OUTAGE_CALL) },
    ]);
    const results = await Promise.allSettled(calls.map((each) => each.run()));
    callsDone = true;
    await watchRevoked;
    for (const [index, result] of results.entries()) {
      const { what, expected } = calls[index] ?? assert.fail('one result per call');
      assert.ok(result.status === 'fulfilled', `${what} during the outage: ${result.status === 'rejected' ? String(result.reason) : ''}`);
      t.diagnostic(`${outage.name}: ${what} answered ${result.value.status} in ${result.value.ms} ms`);
      expectStatus(result.value, expected.status, `${what} during the outage`);
      if (expected.code !== undefined) assert.equal(result.value.code, expected.code, `${what} during the outage: code`);
    }
    assert.deepEqual(revokedWrongly, [], 'the revoked token during the outage is answered 401 or 503, never 200');

    // Past the bound, no state read before the outage may be used any more.
    const wait = cutAt + maxAgeMs + BOUND_MARGIN_MS - Date.now();
    if (wait > 0) await sleep(wait);
    // At once, on fresh connections: each may wait out the database timeout.
    const afterBound = (node: SpawnedServer, access: string): Promise<CallAnswer[]> =>
      Promise.all(Array.from({ length: WARM_REQUESTS }, () => call(node, '/api/me/', { bearer: access, ...OUTAGE_CALL })));
    for (const { label, node } of both) {
      const [goodAnswers, revokedAnswers] = await Promise.all([afterBound(node, good.access), afterBound(node, revoked.access)]);
      for (const [n, answer] of goodAnswers.entries()) {
        expectStatus(answer, outage.meAfterBound, `good token on ${label} after the bound, request ${n + 1}`);
        if (outage.meAfterBound === 503) assert.equal(answer.code, 'service_unavailable', `good token on ${label} after the bound: code`);
      }
      for (const answer of revokedAnswers) {
        assert.ok(answer.status === 401 || answer.status === 503, `revoked token on ${label} after the bound: ${describeAnswer(answer)}`);
      }
    }
    t.diagnostic(`${outage.name}: the revoked token was refused ${revokedAnswered} times while those calls ran`);
  } finally {
    outage.end();
  }

  // Healing needs nothing from us: every worker of both nodes is ready, logs in, and reads.
  for (const { label, node } of both) {
    const healedIn = await eventually(HEAL_CAP_MS, async () => {
      for (const answer of await Promise.all(Array.from({ length: WARM_REQUESTS }, () => call(node, '/readyz')))) {
        expectStatus(answer, 200, `/readyz on ${label} after the outage`);
      }
      await login(node, username);
      await warm(node, good.access, `good token on ${label} after the outage`);
    }).catch((error: unknown) => {
      throw new Error(`node ${label} did not heal within ${HEAL_CAP_MS} ms: ${error instanceof Error ? error.message : String(error)}\n${nodeLogs(node)}`);
    });
    t.diagnostic(`${outage.name}: node ${label} healed ${healedIn} ms after the database came back`);
    for (const answer of await meStatuses(node, revoked.access, WARM_REQUESTS)) expectRefused(answer, `revoked token on ${label} after the outage`);
  }
  // And a revocation on A is honoured on B again.
  const prepared = await LOGOUT.prepare(a);
  for (const access of prepared.access) await warm(b, access, 'after the outage');
  await prepared.revoke();
  await sleep(maxAgeMs + BOUND_MARGIN_MS);
  await expectAllRefused(b, prepared, 8, 'logout on A, on B after the outage');
}

// ---------------------------------------------------------------------------------------------
// The tests

const STORE_NAMES: Record<SharedStore, string> = { postgres: 'one PostgreSQL database', sqlite: 'one SQLite file' };

/** Starts a fresh database and two nodes on it for the enclosing describe; stops them after it. */
function twoNodesFor(store: SharedStore, env: Record<string, string>): { nodes(): TwoNodes; database(): SharedDatabase } {
  let database: SharedDatabase | undefined;
  let nodes: TwoNodes | undefined;
  before(async () => {
    database = await createSharedDatabase(store, { throughProxy: true });
    nodes = await startTwoNodes(database, env);
  });
  after(async () => {
    await nodes?.stop();
    await database?.drop();
  });
  return {
    nodes: () => nodes ?? assert.fail('the nodes did not start'),
    database: () => database ?? assert.fail('the database was not created'),
  };
}

for (const store of SHARED_STORES) {
  describe(`two nodes on ${STORE_NAMES[store]}, session state bound 1s`, { timeout: 120_000 }, () => {
    const MAX_AGE_MS = 1000;
    const setup = twoNodesFor(store, { GATEHOUSE_SESSION_STATE_MAX_AGE: '1s' });

    test('a login on node A works on node B, and the tokens B issues work on A', async () => {
      const { a, b } = setup.nodes();
      const onA = await login(a, await register(a));
      await warm(b, onA.access, 'access token from A on B');
      const onB = await refresh(b, onA.refresh);
      await warm(a, onB.access, 'access token from B on A');
      await warm(b, onB.access, 'access token from B on B');
      const again = await refresh(a, onB.refresh);
      await warm(b, again.access, 'access token from the second refresh on B');
      // The token B rotated away is spent on A as well.
      expectRefused(await call(a, '/api/token/refresh/', { json: { refresh: onA.refresh } }), 'the refresh token B rotated, presented to A');
    });

    test('logout, logout everywhere and refresh-token reuse on A are refused on B once the bound has passed, every time', async () => {
      const { a, b } = setup.nodes();
      const ITERATIONS = 5;
      for (let iteration = 1; iteration <= ITERATIONS; iteration++) {
        // The three revocations run side by side, each on its own user, so one wait covers them.
        const prepared = await Promise.all(REVOCATIONS.map(async (revocation) => ({ revocation, ...(await revocation.prepare(a)) })));
        for (const { revocation, access } of prepared) for (const token of access) await warm(b, token, `${revocation.name} #${iteration} on B`);
        await Promise.all(prepared.map((each) => each.revoke()));
        await sleep(MAX_AGE_MS + BOUND_MARGIN_MS);
        for (const each of prepared) {
          await expectAllRefused(b, each, 20, `${each.revocation.name} #${iteration} on B`);
          await expectAllRefused(a, each, 2, `${each.revocation.name} #${iteration} on A`);
        }
      }
    });

    if (store === 'sqlite') {
      test('SQLite write-locked by another process: writes answer 503 service_unavailable, reads keep working, and both nodes heal after release', async (t) => {
        await checkOutage(t, setup.nodes(), sqliteWriteLock(setup.database()), MAX_AGE_MS);
      });
    }
  });

  describe(`two nodes on ${STORE_NAMES[store]}, session state bound 60s: revocations travel by notification`, { timeout: 120_000 }, () => {
    const setup = twoNodesFor(store, { GATEHOUSE_SESSION_STATE_MAX_AGE: '60s' });

    for (const revocation of REVOCATIONS) {
      test(`a ${revocation.name} on A reaches every worker of B well before the 60 s bound`, async (t) => {
        const { a, b } = setup.nodes();
        const prepared = await revocation.prepare(a);
        for (const access of prepared.access) await warm(b, access, `${revocation.name} on B`);
        await prepared.revoke();
        const ms = await refusedWithin(b, prepared, NOTIFICATION_CAP_MS, `${revocation.name} on B`);
        t.diagnostic(`${revocation.name}: every worker of B refused the token ${ms} ms after A answered`);
        await expectAllRefused(b, prepared, 10, `${revocation.name} on B`);
      });
    }

    // Only PostgreSQL has a connection to lose: its listener must come back by itself.
    for (const mode of store === 'postgres' ? (['refuse', 'blackhole'] as const) : []) {
      test(`after the database was unreachable (${mode}), revocations reach B by notification again`, async (t) => {
        const { a, b } = setup.nodes();
        const proxy = setup.database().proxy;
        assert.ok(proxy !== undefined);
        proxy.cut(mode);
        try {
          for (const node of [a, b]) {
            await eventually(10_000, async () => expectStatus(await call(node, '/readyz'), 503, '/readyz during the cut'));
          }
        } finally {
          proxy.restore();
        }
        for (const node of [a, b]) {
          await eventually(HEAL_CAP_MS, async () => {
            for (let i = 0; i < WARM_REQUESTS; i++) expectStatus(await call(node, '/readyz'), 200, '/readyz after the cut');
          });
        }
        const prepared = await LOGOUT.prepare(a);
        for (const access of prepared.access) await warm(b, access, 'logout on B after the cut');
        await prepared.revoke();
        const ms = await refusedWithin(b, prepared, NOTIFICATION_CAP_MS, 'logout on B after the cut');
        t.diagnostic(`after ${mode}: every worker of B refused the token ${ms} ms after A answered`);
      });
    }
  });
}

describe('two nodes on one PostgreSQL database while it is unreachable, session state bound 3s', { timeout: 120_000 }, () => {
  const MAX_AGE_MS = 3000;
  const setup = twoNodesFor('postgres', { GATEHOUSE_SESSION_STATE_MAX_AGE: '3s' });

  for (const mode of ['blackhole', 'refuse'] as const) {
    test(`database unreachable (${mode}): writes answer 503 service_unavailable, JWKS answers, no stale or revoked session is accepted, and both nodes heal`, async (t) => {
      await checkOutage(t, setup.nodes(), proxyOutage(setup.database(), mode), MAX_AGE_MS);
    });
  }
});
