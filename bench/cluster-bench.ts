// Multi-worker benchmark: `gatehouse serve --workers N` against a bare node:http cluster with the
// same N answering the same JSON, on loopback, with wrk. Printing is bench/run.ts's job; run this
// file directly for a quick look: node dist/bench/cluster-bench.js [workers] [seconds]
// The servers, load and CPU accounting here are shared by the other bench files.
import { spawn, type ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '../test/support/spawn-server.js';
import { runWrk, type WrkOptions, type WrkRequest } from './wrk.js';

/** One server's figures: req/s, p99 latency (ms), and its workers' CPU time per request (µs). */
export interface LoadFigures {
  rps: number;
  p99: number;
  cpuMicros: number;
  /** CPU per request of the target's database backends (PostgreSQL), µs; 0 when it has none. */
  backendCpuMicros: number;
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

export const BENCH_USER = { username: 'benchuser', password: 'bench password 123' };
const JSON_HEADERS = { 'content-type': 'application/json' };
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const thisFile = fileURLToPath(import.meta.url);
// The CLI of the same build as this file: dist-bench/bench/ runs dist-bench/src/cli/main.js, so a
// bench built into its own directory never runs another build's server.
export const GATEHOUSE_ENTRY = path.resolve(path.dirname(thisFile), '..', 'src', 'cli', 'main.js');

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

async function waitUntilAnswering(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`benchmark server exited early: ${output()}`);
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
  /** CPU time of its database backends over the run, µs. */
  readonly backendCpu: number;
}

/**
 * Loads one server; CPU per request is measured on its worker processes (`pids`), a steadier
 * figure than req/s on a shared machine, since the load generator competes for the same cores.
 * Any non-2xx answer or socket error fails the run: a figure made of errors would mislead.
 */
export async function load(options: WrkOptions, pids: readonly number[] = [], backendPids: readonly number[] = []): Promise<LoadSample> {
  const cpuBefore = cpuMicros(pids);
  const backendBefore = cpuMicros(backendPids);
  const result = await runWrk(options);
  const cpu = cpuMicros(pids) - cpuBefore;
  const backendCpu = cpuMicros(backendPids) - backendBefore;
  if (result.non2xx > 0 || result.socketErrors > 0) {
    throw new Error(`${options.method ?? 'GET'} ${new URL(options.url).pathname}: ${result.non2xx} non-2xx, ${result.socketErrors} socket errors`);
  }
  return { requests: result.requests, seconds: result.seconds, p99: result.p99, cpu, backendCpu };
}

/** Totals over alternating runs: req/s over all of them, the worst p99, CPU per request. */
function figures(samples: readonly LoadSample[]): LoadFigures {
  const requests = samples.reduce((sum, sample) => sum + sample.requests, 0);
  const seconds = samples.reduce((sum, sample) => sum + sample.seconds, 0);
  const perRequest = (total: number): number => (requests > 0 ? Math.round(total / requests) : 0);
  return {
    rps: seconds > 0 ? Math.round(requests / seconds) : 0,
    p99: Math.round(100 * Math.max(...samples.map((sample) => sample.p99))) / 100,
    cpuMicros: perRequest(samples.reduce((sum, sample) => sum + sample.cpu, 0)),
    backendCpuMicros: perRequest(samples.reduce((sum, sample) => sum + sample.backendCpu, 0)),
  };
}

/** Each comparison's time is split into up to this many turns per server, alternating between them. */
const ROUNDS = 5;

/** A server to load: where to send requests, and which processes' CPU time is its own. */
export interface LoadTarget {
  readonly url: string;
  readonly pids: readonly number[];
  /** Its database's backend processes, asked before every turn (a pool may replace connections). */
  readonly backendPids?: () => Promise<readonly number[]>;
  /** This server's own version of the request (its own token), over the shared one. */
  readonly request?: WrkRequest;
}

/**
 * Loads servers with the same request for `durationSeconds` each, in alternating turns, so that
 * a busy spell on the shared machine hits all alike. wrk counts whole seconds, so a short run
 * has fewer turns (3 s: three turns of 1 s) rather than turns shorter than a second.
 *
 * @example
 * const [gatehouse, bare] = await alternateLoad({ method: 'GET' }, 10, [gatehouseTarget, bareTarget]);
 */
export async function alternateLoad<const T extends readonly LoadTarget[]>(
  request: WrkRequest,
  durationSeconds: number,
  targets: T,
): Promise<{ -readonly [K in keyof T]: LoadFigures }> {
  const rounds = Math.max(1, Math.min(ROUNDS, Math.floor(durationSeconds)));
  const turnSeconds = Math.max(1, Math.round(durationSeconds / rounds));
  const samples: LoadSample[][] = targets.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [index, target] of targets.entries()) {
      const backendPids = (await target.backendPids?.()) ?? [];
      samples[index]?.push(await load({ ...request, ...target.request, url: target.url, durationSeconds: turnSeconds }, target.pids, backendPids));
    }
  }
  return samples.map(figures) as { -readonly [K in keyof T]: LoadFigures };
}

/** A server started for the benchmark, every worker up. */
export interface BenchServer {
  readonly url: string;
  /** Its worker processes (the primary only forks and routes). */
  readonly workerPids: readonly number[];
  stop(): Promise<void>;
}

/** Keeps the last few KB a child wrote to stderr, for the error when it fails to start. */
function stderrTail(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (tail = (tail + chunk).slice(-4096)));
  return () => tail;
}

async function whenAllWorkersUp(child: ChildProcess, url: string, workers: number): Promise<readonly number[]> {
  await waitUntilAnswering(`${url}/readyz`, child, stderrTail(child));
  // Every worker must be up before measuring, not just the first one.
  while (childPids(child.pid ?? -1).length < workers) await sleep(200);
  return childPids(child.pid ?? -1);
}

export interface GatehouseServerOptions {
  readonly workers: number;
  /** GATEHOUSE_* settings on top of the benchmark's defaults. */
  readonly env?: Readonly<Record<string, string>> | undefined;
}

/**
 * `gatehouse serve` on a free loopback port with its own data directory (the SQLite default
 * store unless `env` names another), refresh rotation and the login rate limit off, logging at
 * `info` (one line per request, as in production) to /dev/null.
 *
 * @example
 * const server = await startGatehouse({ workers: 2, env: { GATEHOUSE_DATABASE_URL: url } });
 */
export async function startGatehouse(options: GatehouseServerOptions): Promise<BenchServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-'));
  const port = await freePort();
  const child = spawn(process.execPath, [GATEHOUSE_ENTRY, 'serve', '--workers', String(options.workers)], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ROTATE_REFRESH_TOKENS: 'off',
      GATEHOUSE_LOGIN_RATE_LIMIT: '0',
      // Throughput: every login waits its turn rather than being refused (the flood section sets its own).
      GATEHOUSE_HASH_QUEUE_LIMIT: '0',
      GATEHOUSE_LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stop = async (): Promise<void> => {
    await stopChild(child);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const url = `http://127.0.0.1:${port}`;
    return { url, workerPids: await whenAllWorkersUp(child, url, options.workers), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The bare node:http baseline with `workers` workers (this file, run with --bare-server). */
export async function startBare(workers: number): Promise<BenchServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [thisFile, '--bare-server', String(port), String(workers)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stop = (): Promise<void> => stopChild(child);
  try {
    const url = `http://127.0.0.1:${port}`;
    return { url, workerPids: await whenAllWorkersUp(child, url, workers), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface TokenPair {
  readonly access: string;
  readonly refresh: string;
}

/** Logs `user` in on `url`, signing it up first (a 400 for an existing name is fine). */
export async function signUpAndLogIn(url: string, user: { username: string; password: string } = BENCH_USER): Promise<TokenPair> {
  const credentials = JSON.stringify(user);
  await fetch(`${url}/api/users/`, { method: 'POST', headers: JSON_HEADERS, body: credentials }).then((r) => r.arrayBuffer());
  const login = await fetch(`${url}/api/token/`, { method: 'POST', headers: JSON_HEADERS, body: credentials });
  if (login.status !== 200) throw new Error(`login failed with ${login.status}`);
  return (await login.json()) as TokenPair;
}

export type EndpointKey = 'me' | 'refresh' | 'login';

export interface Endpoint extends WrkRequest {
  readonly key: EndpointKey;
  readonly name: string;
  readonly path: string;
}

/** The three measured requests, made with `tokens` (refresh replays one token: rotation is off). */
export function benchEndpoints(tokens: TokenPair): readonly Endpoint[] {
  return [
    { key: 'me', name: 'GET /api/me/', path: '/api/me/', method: 'GET', headers: { authorization: `Bearer ${tokens.access}` } },
    { key: 'refresh', name: 'POST /api/token/refresh/', path: '/api/token/refresh/', method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ refresh: tokens.refresh }) },
    { key: 'login', name: 'POST /api/token/', path: '/api/token/', method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(BENCH_USER) },
  ];
}

/** A short run on each server first, so that none is measured while still warming up (JIT, caches). */
export async function warmUp(request: WrkRequest, urlPath: string, servers: readonly BenchServer[], seconds = 2): Promise<void> {
  for (const server of servers) await load({ ...request, url: `${server.url}${urlPath}`, durationSeconds: seconds });
}

export interface ClusterBenchOptions {
  readonly workers: number;
  readonly durationSeconds: number;
  /** Extra GATEHOUSE_* settings for the Gatehouse server (for example the algorithm). */
  readonly env?: Readonly<Record<string, string>>;
  /** Which endpoints to load; default all three. */
  readonly endpoints?: readonly EndpointKey[];
}

/**
 * Runs GET /api/me/, POST /api/token/refresh/ and POST /api/token/ against Gatehouse and the bare
 * server for `durationSeconds` each, in alternating turns per endpoint. Refresh rotation is off
 * so one refresh token can be replayed; login uses the production argon2 cost with the login
 * rate limit off.
 *
 * @example
 * const { rows, rss } = await benchCluster({ workers: 2, durationSeconds: 10 });
 */
export async function benchCluster(options: ClusterBenchOptions): Promise<ClusterBenchResult> {
  const { workers, durationSeconds } = options;
  const wanted = new Set(options.endpoints ?? ['me', 'refresh', 'login']);
  const servers: BenchServer[] = [];
  try {
    const gatehouse = await startGatehouse({ workers, env: options.env });
    servers.push(gatehouse);
    const bare = await startBare(workers);
    servers.push(bare);
    await sleep(1000);

    const all = benchEndpoints(await signUpAndLogIn(gatehouse.url));
    const first = all[0];
    if (first !== undefined) await warmUp(first, first.path, [gatehouse, bare]);

    const start = gatehouse.workerPids.map(rssBytes);
    const rows: ClusterBenchRow[] = [];
    for (const endpoint of all.filter((candidate) => wanted.has(candidate.key))) {
      const [gatehouseFigures, bareFigures] = await alternateLoad(endpoint, durationSeconds, [
        { url: `${gatehouse.url}${endpoint.path}`, pids: gatehouse.workerPids },
        { url: `${bare.url}${endpoint.path}`, pids: bare.workerPids },
      ]);
      rows.push({ endpoint: endpoint.name, gatehouse: gatehouseFigures, bare: bareFigures });
    }
    const end = gatehouse.workerPids.map(rssBytes);
    return { rows, rss: { start, end } };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

const BARE_USER = JSON.stringify({ id: 1, username: BENCH_USER.username, is_active: true, last_login: null, date_joined: '2024-01-01T00:00:00.000Z' });
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
        `${row.endpoint.padEnd(26)} gatehouse ${String(row.gatehouse.rps).padStart(7)} req/s p99 ${String(row.gatehouse.p99).padStart(5)} ms | ` +
          `bare ${String(row.bare.rps).padStart(7)} req/s p99 ${String(row.bare.p99).padStart(5)} ms | ${(ratio * 100).toFixed(0)}%\n`,
      );
    }
    const mb = (bytes: number[]): string => bytes.map((b) => `${(b / 1048576).toFixed(0)} MB`).join(', ');
    process.stdout.write(`worker RSS start: ${mb(result.rss.start)}; end: ${mb(result.rss.end)}\n`);
  }
}
