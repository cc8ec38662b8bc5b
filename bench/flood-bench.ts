// The login flood: many clients logging in at once, each sending its next login as soon as the
// last is answered, while another client reads GET /api/me/. Every login costs an argon2id hash at
// the OWASP cost (~20–30 ms of CPU on libuv's threadpool), so no server keeps up with the flood.
// Each worker runs as many hashes at once as its share of the CPUs; with GATEHOUSE_HASH_QUEUE_LIMIT
// (per worker) it answers 503 with Retry-After at once past that many waiting; with 0 it queues
// them all, and every login waits for the whole queue.
// Both servers (limit 16, the default, and 0) run at once, two workers each, on SQLite, and take
// turns: for each flood size, each server first has the /api/me/ load alone (the baseline), then
// the same load during the flood.
// Run alone: node dist/bench/flood-bench.js [--quick]
import { readdirSync, readlinkSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { benchEndpoints, cpuMicros, signUpAndLogIn, sleep, startGatehouse, warmUp, type BenchServer, type Endpoint } from './cluster-bench.js';
import { runWrk, type WrkResult } from './wrk.js';

/** Concurrent login connections of the two floods: a few over the bound of two workers (2 × 16 waiting) and well above it. */
export const FLOOD_CONNECTIONS = [48, 256] as const;
/** The bounded server's limit (the default) next to none. */
export const HASH_QUEUE_LIMITS = [16, 0] as const;
/** Connections of the GET /api/me/ load, alone and during the flood. */
export const ME_CONNECTIONS = 8;
/** How long before the flood the GET /api/me/ load starts (its first half second is without the flood). */
const ME_HEAD_START_MS = 500;

/**
 * The argon2 defaults spelled out (a GATEHOUSE_ARGON2_* in the bench's own environment cannot change
 * the figures), every abuse limit off (the flood is one address replaying one valid login, which
 * they exist to stop), and access tokens that outlast the section.
 */
const FLOOD_ENV = {
  GATEHOUSE_ARGON2_MEMORY_KIB: '19456',
  GATEHOUSE_ARGON2_ITERATIONS: '2',
  GATEHOUSE_LOGIN_RATE_LIMIT: '0',
  GATEHOUSE_LOGIN_ACCOUNT_LIMIT: '0',
  GATEHOUSE_LOGIN_ADDRESS_LIMIT: '0',
  GATEHOUSE_SIGNUP_RATE_LIMIT: '0',
  GATEHOUSE_ACCESS_TOKEN_LIFETIME: '1h',
};

export interface FloodBenchRow {
  readonly hashQueueLimit: number;
  readonly floodConnections: number;
  /** The flood of POST /api/token/, answers counted per status. */
  readonly login: WrkResult;
  /** GET /api/me/ alone, just before the flood. */
  readonly meAlone: WrkResult;
  /** The same GET /api/me/ load during the flood. */
  readonly meFlooded: WrkResult;
  /** The most flood connections the workers held at once (sampled every 250 ms). */
  readonly connectionsHeld: number;
}

interface Side {
  readonly hashQueueLimit: number;
  readonly server: BenchServer;
  readonly me: Endpoint;
  readonly login: Endpoint;
}

/** A server's login and GET /api/me/ requests, with its own user and token. */
async function sideOf(server: BenchServer, hashQueueLimit: number): Promise<Side> {
  const [me, , login] = benchEndpoints(await signUpAndLogIn(server.url));
  if (me === undefined || login === undefined) throw new Error('an endpoint is missing');
  return { hashQueueLimit, server, me, login };
}

/**
 * Waits until `pids` use under 5% of a core: after a flood, an unbounded server still hashes the
 * logins it queued (their clients gone), and that work must not land in the next turn, on any server.
 */
async function waitUntilIdle(pids: readonly number[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const before = cpuMicros(pids);
    await sleep(500);
    if (cpuMicros(pids) - before < 25_000) return;
    if (Date.now() > deadline) throw new Error('the server is still busy two minutes after the flood');
  }
}

/** Sockets open in `pids` (from /proc, Linux): their connections, and a few of their own (IPC, listening). */
function openSockets(pids: readonly number[]): number {
  let count = 0;
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) count += 1;
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // exited meanwhile
    }
  }
  return count;
}

async function turn(side: Side, floodConnections: number, durationSeconds: number, allPids: readonly number[]): Promise<FloodBenchRow> {
  const { server } = side;
  const me = { ...side.me, url: `${server.url}${side.me.path}`, durationSeconds, connections: ME_CONNECTIONS };
  await waitUntilIdle(allPids);
  const meAlone = await runWrk(me);
  // The baseline must be clean; during the flood, errors are a finding and are reported.
  if (meAlone.non2xx > 0 || meAlone.socketErrors > 0) throw new Error(`GET /api/me/ alone: ${meAlone.non2xx} non-2xx, ${meAlone.socketErrors} socket errors`);
  // GET /api/me/'s connections open first, as a client's already are: node:cluster's primary hands
  // a worker each new connection only once the worker took the last, which in a flood takes seconds.
  const flooded = runWrk(me);
  await sleep(ME_HEAD_START_MS);
  // How many of the flood's connections the workers have taken on: the rest wait in the primary.
  const socketsBefore = openSockets(server.workerPids);
  let connectionsHeld = 0;
  const sampler = setInterval(() => (connectionsHeld = Math.max(connectionsHeld, openSockets(server.workerPids) - socketsBefore)), 250);
  try {
    const [login, meFlooded] = await Promise.all([
      runWrk({ ...side.login, url: `${server.url}${side.login.path}`, durationSeconds, connections: floodConnections, countStatuses: true }),
      flooded,
    ]);
    return { hashQueueLimit: side.hashQueueLimit, floodConnections, login, meAlone, meFlooded, connectionsHeld };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * For each flood size, on each server in turn: GET /api/me/ alone for `durationSeconds`, then the
 * same load during a flood of POST /api/token/ with that many connections.
 *
 * @example
 * const rows = await benchFlood({ durationSeconds: 10 });
 */
export async function benchFlood(options: { readonly durationSeconds: number }): Promise<FloodBenchRow[]> {
  const servers: BenchServer[] = [];
  try {
    // Started at once, and every one that started is stopped, also when another failed to.
    const starting = await Promise.allSettled(
      HASH_QUEUE_LIMITS.map((limit) => startGatehouse({ workers: 2, env: { ...FLOOD_ENV, GATEHOUSE_HASH_QUEUE_LIMIT: String(limit) } })),
    );
    for (const result of starting) if (result.status === 'fulfilled') servers.push(result.value);
    const failed = starting.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const sides = await Promise.all(servers.map((server, index) => sideOf(server, HASH_QUEUE_LIMITS[index] ?? 0)));
    await sleep(1000);
    // Only GET /api/me/ is warmed: a login warm-up would itself be a flood the bounded server
    // refuses in part, and argon2, not the JIT, sets a login's cost.
    for (const side of sides) await warmUp(side.me, side.me.path, [side.server], 1);
    const allPids = servers.flatMap((server) => server.workerPids);
    const rows: FloodBenchRow[] = [];
    for (const connections of FLOOD_CONNECTIONS) {
      for (const side of sides) rows.push(await turn(side, connections, options.durationSeconds, allPids));
    }
    return rows;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** The section as bench/run.ts prints it: what was measured, what each column means, the table. */
export function floodReport(rows: readonly FloodBenchRow[], durationSeconds: number): string[] {
  const ms = (value: number): string => (value < 10 ? value.toFixed(2) : String(Math.round(value)));
  const rps = (result: WrkResult, count = result.requests): string => String(Math.round(count / result.seconds));
  const lines = [
    `## Login flood: ${FLOOD_CONNECTIONS.join(' and ')} connections sending POST /api/token/ without pause, with GET /api/me/ alongside (${durationSeconds} s each)`,
    'Two workers each, SQLite, argon2 at the OWASP cost, every login and sign-up limit off. Two servers, GATEHOUSE_HASH_QUEUE_LIMIT=16',
    `(the default) and 0 (none), in turns: for each flood size, each server has GET /api/me/ (${ME_CONNECTIONS} connections) alone, then the same`,
    `load during the flood, started ${ME_HEAD_START_MS} ms before it so that its connections are open (in a flood, a worker takes on a new`,
    'connection only after seconds). Each turn starts once every server is idle (an unbounded one hashes what it queued after its clients left).',
    `Columns: the server's GATEHOUSE_HASH_QUEUE_LIMIT (per worker; 0 = none); concurrent login connections, and the most of them the`,
    'workers held at once (from /proc; the others were still waiting for a worker to take them on); logins answered 200 per',
    'second; logins answered 503 (Retry-After: 1; wrk sends the next at once); latency of every login answer, 200 or 503, from when',
    'wrk sent it (on a connection not yet taken on, that wait included); other statuses / other socket errors / timeouts (unanswered',
    `after 10 s) among the logins; GET /api/me/ (${ME_CONNECTIONS} connections) alone, then during the flood, with its non-2xx answers and socket`,
    'errors. A login still waiting when the run ends is in no column.',
    '| hash queue limit | login conns | held by workers | logins 200/s | 503s | login p50 ms | p99 ms | max ms | other statuses / socket errors / timeouts | me alone req/s | p50 ms | p99 ms | me in flood req/s | p50 ms | p99 ms | me errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { hashQueueLimit, floodConnections, connectionsHeld, login, meAlone, meFlooded } of rows) {
    const ok = login.statuses[200] ?? 0;
    const unavailable = login.statuses[503] ?? 0;
    const other = login.requests - ok - unavailable;
    lines.push(
      `| ${hashQueueLimit === 0 ? '0 (none)' : hashQueueLimit} | ${floodConnections} | ${connectionsHeld} | ${rps(login, ok)} | ${unavailable} | ${ms(login.p50)} | ${ms(login.p99)} | ${ms(login.max)} | ${other} / ${login.socketErrors - login.timeouts} / ${login.timeouts} ` +
        `| ${rps(meAlone)} | ${ms(meAlone.p50)} | ${ms(meAlone.p99)} | ${rps(meFlooded)} | ${ms(meFlooded.p50)} | ${ms(meFlooded.p99)} | ${meFlooded.non2xx + meFlooded.socketErrors} |`,
    );
  }
  return lines;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const durationSeconds = process.argv.includes('--quick') ? 4 : 10;
  process.stdout.write(`${floodReport(await benchFlood({ durationSeconds }), durationSeconds).join('\n')}\n`);
}
