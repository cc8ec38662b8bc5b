// Multi-worker benchmark: `gatehouse serve --workers N` against a bare node:http cluster with the
// same N answering the same JSON, on loopback, with autocannon. Printing is bench/run.ts's job;
// run this file directly for a quick look: node dist/bench/cluster-bench.js [workers] [seconds]
import { spawn, type ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '../test/support/spawn-server.js';

export interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p99: number };
  non2xx: number;
  errors: number;
}
// autocannon ships no type declarations: this is the part we use.
const autocannon = createRequire(import.meta.url)('autocannon') as (options: AutocannonOptions) => Promise<AutocannonResult>;

/** One server's figures: req/s, p99 latency (ms), and its workers' CPU time per request (µs). */
export interface LoadFigures {
  rps: number;
  p99: number;
  cpuMicros: number;
}

export interface ClusterBenchRow {
  endpoint: string;
  gatehouse: LoadFigures;
  bare: LoadFigures;
}

export interface ClusterBenchResult {
  rows: ClusterBenchRow[];
  /** Resident memory (bytes) of each gatehouse worker before and after all runs. */
  rss: { start: number[]; end: number[] };
}

const CONNECTIONS = 32;
const USER = { username: 'benchuser', password: 'bench password 123' };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const thisFile = fileURLToPath(import.meta.url);

/** Children of `pid`, from /proc (Linux). */
export function childPids(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command name: state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

async function waitUntilAnswering(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('benchmark server exited early');
    const ok = await fetch(url).then((r) => r.arrayBuffer().then(() => r.ok), () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no answer from ${url}`);
    await sleep(200);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  await exited;
  clearTimeout(timer);
}

/** User + system CPU time of `pids` so far, in microseconds (from /proc, Linux; clock ticks of 10 ms). */
export function cpuMicros(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const afterName = fields.slice(fields.lastIndexOf(')') + 2).split(' ');
      ticks += Number(afterName[11]) + Number(afterName[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks * 10_000;
}

/** One run's raw totals; {@link figures} turns several into one row. */
interface LoadSample {
  readonly requests: number;
  readonly seconds: number;
  readonly p99: number;
  /** CPU time of the server's worker processes over the run, µs. */
  readonly cpu: number;
}

/**
 * Loads one server; CPU per request is measured on its worker processes (`pids`), a steadier
 * figure than req/s on a shared machine, since the load generator competes for the same cores.
 */
export async function load(options: AutocannonOptions, pids: readonly number[] = []): Promise<LoadSample> {
  const cpuBefore = cpuMicros(pids);
  const started = performance.now();
  const result = await autocannon(options);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuMicros(pids) - cpuBefore;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${options.method ?? 'GET'} ${new URL(options.url).pathname}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  return { requests: result.requests.total, seconds, p99: result.latency.p99, cpu };
}

/** Totals over alternating runs: req/s over all of them, the worst p99, CPU per request. */
function figures(samples: readonly LoadSample[]): LoadFigures {
  const requests = samples.reduce((sum, sample) => sum + sample.requests, 0);
  const seconds = samples.reduce((sum, sample) => sum + sample.seconds, 0);
  const cpu = samples.reduce((sum, sample) => sum + sample.cpu, 0);
  return {
    rps: seconds > 0 ? Math.round(requests / seconds) : 0,
    p99: Math.max(...samples.map((sample) => sample.p99)),
    cpuMicros: requests > 0 ? Math.round(cpu / requests) : 0,
  };
}

/** Each comparison's time is split into this many turns per server, alternating between them. */
const ROUNDS = 5;

/** A server to load: where to send requests, and which processes' CPU time is its own. */
export interface LoadTarget {
  readonly url: string;
  readonly pids: readonly number[];
}

/**
 * Loads two servers with the same requests for `durationSeconds` each, in alternating turns, so
 * that a busy spell on the shared machine hits both alike.
 *
 * @example
 * const [gatehouse, bare] = await alternateLoad({ connections: 32 }, 10, gatehouseTarget, bareTarget);
 */
export async function alternateLoad(
  request: Omit<AutocannonOptions, 'url' | 'duration'>,
  durationSeconds: number,
  first: LoadTarget,
  second: LoadTarget,
): Promise<[LoadFigures, LoadFigures]> {
  const samples: [LoadSample[], LoadSample[]] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, target] of [first, second].entries()) {
      samples[index]?.push(await load({ ...request, url: target.url, duration: durationSeconds / ROUNDS }, target.pids));
    }
  }
  return [figures(samples[0]), figures(samples[1])];
}

interface Endpoint {
  readonly name: string;
  readonly path: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/**
 * Runs GET /api/me/, POST /api/token/refresh/ and POST /api/token/ against both servers for
 * `durationSeconds` each, in five alternating turns per endpoint. Refresh rotation is off for the whole run (`GATEHOUSE_ROTATE_REFRESH_TOKENS=off`)
 * so one refresh token can be replayed; login uses the production argon2 cost with the login
 * rate limit off. Gatehouse logs at `info` (one line per request, as in production) to /dev/null.
 *
 * @example
 * const { rows, rss } = await benchCluster({ workers: 2, durationSeconds: 10 });
 */
export interface ClusterBenchOptions {
  readonly workers: number;
  readonly durationSeconds: number;
  /** Extra GATEHOUSE_* settings for the Gatehouse server (for example the algorithm). */
  readonly env?: Readonly<Record<string, string>>;
  /** Which endpoints to load; default all three. */
  readonly endpoints?: readonly ('me' | 'refresh' | 'login')[];
}

export async function benchCluster(options: ClusterBenchOptions): Promise<ClusterBenchResult> {
  const { workers, durationSeconds } = options;
  const wanted = new Set(options.endpoints ?? ['me', 'refresh', 'login']);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-'));
  const gatehousePort = await freePort();
  const barePort = await freePort();
  const entry = path.resolve(path.dirname(thisFile), '..', 'src', 'cli', 'main.js');
  const gatehouse = spawn(process.execPath, [entry, 'serve', '--workers', String(workers)], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(gatehousePort),
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ROTATE_REFRESH_TOKENS: 'off',
      GATEHOUSE_LOGIN_RATE_LIMIT: '0',
      GATEHOUSE_LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: 'ignore',
  });
  const bare = spawn(process.execPath, [thisFile, '--bare-server', String(barePort), String(workers)], { stdio: 'ignore' });
  try {
    const gatehouseUrl = `http://127.0.0.1:${gatehousePort}`;
    const bareUrl = `http://127.0.0.1:${barePort}`;
    await waitUntilAnswering(`${gatehouseUrl}/readyz`, gatehouse);
    await waitUntilAnswering(`${bareUrl}/readyz`, bare);
    // Every worker must be up before measuring, not just the first one.
    while (childPids(gatehouse.pid ?? -1).length < workers) await sleep(200);
    while (childPids(bare.pid ?? -1).length < workers) await sleep(200);
    await sleep(1000);

    const json = { 'content-type': 'application/json' };
    const credentials = JSON.stringify(USER);
    await fetch(`${gatehouseUrl}/api/users/`, { method: 'POST', headers: json, body: credentials }).then((r) => r.arrayBuffer());
    const login = await fetch(`${gatehouseUrl}/api/token/`, { method: 'POST', headers: json, body: credentials });
    if (login.status !== 200) throw new Error(`login failed with ${login.status}`);
    const tokens = (await login.json()) as { access: string; refresh: string };

    const all: Array<Endpoint & { key: 'me' | 'refresh' | 'login' }> = [
      { key: 'me', name: 'GET /api/me/', path: '/api/me/', method: 'GET', headers: { authorization: `Bearer ${tokens.access}` } },
      { key: 'refresh', name: 'POST /api/token/refresh/', path: '/api/token/refresh/', method: 'POST', headers: json, body: JSON.stringify({ refresh: tokens.refresh }) },
      { key: 'login', name: 'POST /api/token/', path: '/api/token/', method: 'POST', headers: json, body: credentials },
    ];
    const endpoints: Endpoint[] = all.filter((endpoint) => wanted.has(endpoint.key));
    // Warm both up (JIT, caches) so the first endpoint is not penalised.
    for (const url of [gatehouseUrl, bareUrl]) {
      await load({ url: `${url}${all[0]?.path ?? '/'}`, connections: CONNECTIONS, duration: 2, headers: all[0]?.headers ?? {} });
    }

    const workerPids = childPids(gatehouse.pid ?? -1);
    const bareWorkerPids = childPids(bare.pid ?? -1);
    const start = workerPids.map(rssBytes);
    const rows: ClusterBenchRow[] = [];
    for (const endpoint of endpoints) {
      const request = {
        connections: CONNECTIONS,
        method: endpoint.method,
        headers: endpoint.headers,
        ...(endpoint.body === undefined ? {} : { body: endpoint.body }),
      };
      const [gatehouseFigures, bareFigures] = await alternateLoad(
        request,
        durationSeconds,
        { url: `${gatehouseUrl}${endpoint.path}`, pids: workerPids },
        { url: `${bareUrl}${endpoint.path}`, pids: bareWorkerPids },
      );
      rows.push({ endpoint: endpoint.name, gatehouse: gatehouseFigures, bare: bareFigures });
    }
    const end = workerPids.map(rssBytes);
    return { rows, rss: { start, end } };
  } finally {
    await Promise.all([stopChild(gatehouse), stopChild(bare)]);
    await rm(dataDir, { recursive: true, force: true });
  }
}

const BARE_USER = JSON.stringify({ id: 1, username: USER.username, is_active: true, last_login: null, date_joined: '2024-01-01T00:00:00.000Z' });
const BARE_TOKENS = JSON.stringify({ access: 'x'.repeat(280), refresh: 'y'.repeat(300) });

/** The baseline: node:cluster + node:http, reading the body and answering fixed JSON. */
function runBareServer(port: number, workers: number): void {
  if (cluster.isPrimary) {
    for (let i = 0; i < workers; i++) cluster.fork();
    process.on('SIGTERM', () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
      process.exit(0);
    });
    return;
  }
  createHttpServer({ keepAliveTimeout: 75_000 }, (request, response) => {
    request.resume();
    request.on('end', () => {
      const body = request.url?.startsWith('/api/me') ? BARE_USER : request.url?.startsWith('/api/token') ? BARE_TOKENS : '{"status":"ok"}';
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  }).listen(port, '127.0.0.1');
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const bareFlag = process.argv.indexOf('--bare-server');
  if (bareFlag !== -1) {
    runBareServer(Number(process.argv[bareFlag + 1]), Number(process.argv[bareFlag + 2]));
  } else {
    const workers = Number(process.argv[2] ?? 2);
    const durationSeconds = Number(process.argv[3] ?? 10);
    const result = await benchCluster({ workers, durationSeconds });
    for (const row of result.rows) {
      const ratio = row.bare.rps === 0 ? 0 : row.gatehouse.rps / row.bare.rps;
      process.stdout.write(
        `${row.endpoint.padEnd(26)} gatehouse ${String(row.gatehouse.rps).padStart(7)} req/s p99 ${String(row.gatehouse.p99).padStart(4)} ms | ` +
          `bare ${String(row.bare.rps).padStart(7)} req/s p99 ${String(row.bare.p99).padStart(4)} ms | ${(ratio * 100).toFixed(0)}%\n`,
      );
    }
    const mb = (bytes: number[]): string => bytes.map((b) => `${(b / 1048576).toFixed(0)} MB`).join(', ');
    process.stdout.write(`worker RSS start: ${mb(result.rss.start)}; end: ${mb(result.rss.end)}\n`);
  }
}
