// How long a logout on one node takes to reach another: two `gatehouse serve` nodes with two
// workers each on one database; log in on A, blacklist the refresh token on A, and time until
// B refuses the login's access token on both its workers.
import { Agent, request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BENCH_USER, startGatehouse, type BenchServer, type TokenPair } from './cluster-bench.js';
import { createBenchDatabase } from './postgres-database.js';

export interface PropagationResult {
  /** Milliseconds from node A's blacklist answer until both of B's workers answer 401. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Logins measured (timed-out ones excluded). */
  readonly measured: number;
  /** Logins still accepted by B after {@link ITERATION_TIMEOUT_MS}. */
  readonly timedOut: number;
}

/**
 * Past this a revocation is taken as not propagated at all: a notification that never came, left
 * to the 30 s bound on cached state. After {@link MAX_TIMEOUTS} of them the run stops, so that a
 * broken propagation costs seconds of benchmark rather than minutes.
 */
const ITERATION_TIMEOUT_MS = 10_000;
const MAX_TIMEOUTS = 3;

/**
 * Settings of both nodes: two workers, a cheap argon2 so logins do not dominate, no login rate
 * limit, rotation on as in production, and a 30 s bound on cached session state so that what is
 * measured is the notification, not the bound. Unknown GATEHOUSE_* names are ignored by the
 * config, so GATEHOUSE_SESSION_STATE_MAX_AGE is harmless on a build that does not know it yet.
 */
const NODE_ENV = {
  GATEHOUSE_WORKERS: '2',
  GATEHOUSE_SESSION_STATE_MAX_AGE: '30s',
  GATEHOUSE_ARGON2_MEMORY_KIB: '1024',
  GATEHOUSE_ARGON2_ITERATIONS: '1',
  GATEHOUSE_LOGIN_RATE_LIMIT: '0',
  GATEHOUSE_ROTATE_REFRESH_TOKENS: 'on',
  GATEHOUSE_LOG_LEVEL: 'warn',
};

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One HTTP request over `agent` (false: a connection of its own, closed after). */
function send(agent: Agent | false, method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, agent, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function expectStatus(answer: Promise<Answer>, status: number, what: string): Promise<Answer> {
  const { status: got, body } = await answer;
  if (got !== status) throw new Error(`${what} answered ${got}, expected ${status}: ${body.slice(0, 200)}`);
  return { status: got, body };
}

const bearer = (access: string): Record<string, string> => ({ authorization: `Bearer ${access}` });
const JSON_HEADERS = { 'content-type': 'application/json' };

async function logIn(node: BenchServer): Promise<TokenPair> {
  const answer = await expectStatus(send(false, 'POST', `${node.url}/api/token/`, JSON_HEADERS, JSON.stringify(BENCH_USER)), 200, 'login on A');
  return JSON.parse(answer.body) as TokenPair;
}

/**
 * B serves the login before it is revoked, so that a worker that caches session state holds it:
 * four calls on connections of their own (the cluster primary hands new connections to its
 * workers in turn, so both get two), then one on each polling connection.
 */
async function warmNode(node: BenchServer, pollers: readonly Agent[], access: string): Promise<void> {
  for (let i = 0; i < 4; i++) await expectStatus(send(false, 'GET', `${node.url}/api/me/`, bearer(access)), 200, 'GET /api/me/ on B before the logout');
  for (const poller of pollers) await expectStatus(send(poller, 'GET', `${node.url}/api/me/`, bearer(access)), 200, 'GET /api/me/ on B before the logout');
}

/** Calls GET /api/me/ on one connection without pause until 401; the time it came, or undefined at `deadline`. */
async function pollUntilRefused(poller: Agent, url: string, access: string, deadline: number): Promise<number | undefined> {
  for (;;) {
    const { status } = await send(poller, 'GET', `${url}/api/me/`, bearer(access));
    const now = performance.now();
    if (status === 401) return now;
    if (status !== 200) throw new Error(`GET /api/me/ on B answered ${status} while polling`);
    if (now > deadline) return undefined;
  }
}

/** One login revoked on A; ms until B refuses it on both polling connections, or undefined. */
async function measureOnce(a: BenchServer, b: BenchServer, pollers: readonly Agent[]): Promise<number | undefined> {
  const tokens = await logIn(a);
  await warmNode(b, pollers, tokens.access);
  await expectStatus(send(false, 'POST', `${a.url}/api/token/blacklist/`, JSON_HEADERS, JSON.stringify({ refresh: tokens.refresh })), 200, 'blacklist on A');
  const revokedAt = performance.now();
  const refusedAt = await Promise.all(pollers.map((poller) => pollUntilRefused(poller, b.url, tokens.access, revokedAt + ITERATION_TIMEOUT_MS)));
  if (refusedAt.some((time) => time === undefined)) return undefined;
  return Math.max(...(refusedAt as number[])) - revokedAt;
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const round2 = (ms: number): number => Math.round(ms * 100) / 100;

/** Starts nodes A and B on `databaseUrl`, one after the other (A migrates), and measures. */
async function measureBetweenNodes(databaseUrl: string, iterations: number): Promise<PropagationResult> {
  const nodes: BenchServer[] = [];
  // Two keep-alive connections to B, opened one after the other: the primary's round robin
  // gives them to its two workers, so polling both sees the slower worker too.
  const pollers = [new Agent({ keepAlive: true, maxSockets: 1 }), new Agent({ keepAlive: true, maxSockets: 1 })];
  try {
    const env = { ...NODE_ENV, GATEHOUSE_DATABASE_URL: databaseUrl };
    const a = await startGatehouse({ workers: 2, env });
    nodes.push(a);
    const b = await startGatehouse({ workers: 2, env });
    nodes.push(b);
    await send(false, 'POST', `${a.url}/api/users/`, JSON_HEADERS, JSON.stringify(BENCH_USER));

    const times: number[] = [];
    let timedOut = 0;
    for (let i = 0; i < iterations && timedOut < MAX_TIMEOUTS; i++) {
      const ms = await measureOnce(a, b, pollers);
      if (ms === undefined) timedOut++;
      else times.push(ms);
    }
    times.sort((x, y) => x - y);
    return {
      p50: round2(percentile(times, 50)),
      p99: round2(percentile(times, 99)),
      max: round2(times.at(-1) ?? Number.NaN),
      measured: times.length,
      timedOut,
    };
  } finally {
    for (const poller of pollers) poller.destroy();
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

/** Revocation propagation between two nodes on one fresh PostgreSQL database (dropped after). */
export async function benchPropagationPostgres(iterations: number): Promise<PropagationResult> {
  const database = await createBenchDatabase();
  try {
    return await measureBetweenNodes(database.url, iterations);
  } finally {
    await database.drop();
  }
}

/** Revocation propagation between two nodes sharing one SQLite file (removed after). */
export async function benchPropagationSqlite(iterations: number): Promise<PropagationResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-shared-'));
  try {
    return await measureBetweenNodes(`sqlite:${path.join(dir, 'gatehouse.sqlite3')}`, iterations);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
