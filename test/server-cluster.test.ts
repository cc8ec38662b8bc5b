// gatehouse serve as real processes: a primary and its workers, under a steady loopback load.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest, type RequestOptions } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { checkedFetch } from './support/http-call.js';
import { ABUSE_LIMITS_OFF, freePort, testDistDir } from './support/spawn-server.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface LogLine {
  readonly event?: string;
  readonly workerPid?: number;
  readonly planned?: boolean;
  readonly [key: string]: unknown;
}

/** A `gatehouse serve` primary started for one test; `logs` are its parsed JSON stdout lines. */
interface Cluster {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly port: number;
  readonly dataDir: string;
  /** The environment the server runs with (for the CLI to reach the same database). */
  readonly env: NodeJS.ProcessEnv;
  readonly logs: LogLine[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line matching, after `from` lines; rejects after `timeoutMs`. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs?: number, from?: number): Promise<LogLine>;
  /** Pids of workers that are up and have not exited, according to the primary's log. */
  liveWorkers(): number[];
  stop(): Promise<void>;
}

const running = new Set<Cluster>();
after(async () => {
  for (const cluster of running) await cluster.stop();
});

/** True while `pid` runs (a zombie awaiting its reaper counts as gone). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function startCluster(args: string[], env: Record<string, string> = {}, port?: number): Promise<Cluster> {
  const entry = path.join(testDistDir(), 'src', 'cli', 'main.js');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-cluster-'));
  const listenPort = port ?? (await freePort());
  const serverEnv: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(listenPort),
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_ARGON2_MEMORY_KIB: '1024',
    GATEHOUSE_ARGON2_ITERATIONS: '1',
    GATEHOUSE_LOGIN_RATE_LIMIT: '0',
    ...ABUSE_LIMITS_OFF,
    GATEHOUSE_GRACEFUL_TIMEOUT: '20s',
    ...env,
  };
  const child = spawn(process.execPath, [entry, 'serve', ...args], { env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr?.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      for (const wake of waiters) wake();
    });
  });

  const waitFor: Cluster['waitFor'] = (match, timeoutMs = 30_000, from = 0) =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = logs.slice(from).find(match);
        if (found !== undefined) {
          done();
          resolve(found);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error('the server exited while waiting for a log line'));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error('timed out waiting for a log line'));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const liveWorkers = (): number[] => {
    const gone = new Set(logs.filter((l) => l.event === 'worker_exit').map((l) => l.workerPid));
    return logs.filter((l) => l.event === 'worker_up' && !gone.has(l.workerPid)).map((l) => l.workerPid as number);
  };

  const cluster: Cluster = {
    child,
    port: listenPort,
    dataDir,
    env: serverEnv,
    baseUrl: `http://127.0.0.1:${listenPort}`,
    logs,
    exited,
    waitFor,
    liveWorkers,
    async stop() {
      running.delete(cluster);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      // Workers of a killed primary drain on disconnect; make sure none outlives the test.
      for (const pid of liveWorkers()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  running.add(cluster);
  return cluster;
}

async function waitForWorkers(cluster: Cluster, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (cluster.liveWorkers().length < count) {
    if (Date.now() > deadline) throw new Error(`only ${cluster.liveWorkers().length} of ${count} workers came up`);
    if (cluster.child.exitCode !== null) throw new Error('the server exited');
    await sleep(50);
  }
}

async function accessToken(baseUrl: string): Promise<string> {
  const credentials = JSON.stringify({ username: 'loadtester', password: 'load tester password' });
  const headers = { 'content-type': 'application/json' };
  const created = await checkedFetch(`${baseUrl}/api/users/`, { method: 'POST', headers, body: credentials });
  assert.equal(created.status, 201);
  const login = await checkedFetch(`${baseUrl}/api/token/`, { method: 'POST', headers, body: credentials });
  assert.equal(login.status, 200);
  const body = (await login.json()) as { access: string };
  return body.access;
}

/** One GET through node:http (`agent: false` for a connection of its own); the body is discarded. */
function get(url: string, options: RequestOptions): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, options);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** GET /api/me/ on a connection of its own, so the cluster spreads the calls over its workers. */
async function meStatusOnNewConnection(baseUrl: string, token: string): Promise<number> {
  return (await get(`${baseUrl}/api/me/`, { agent: false, headers: { authorization: `Bearer ${token}` } })).status;
}

async function meStatuses(baseUrl: string, token: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push(await meStatusOnNewConnection(baseUrl, token));
  return statuses;
}

/** Runs the compiled CLI against the cluster's database; resolves with its exit code. */
function runCli(cluster: Cluster, args: string[]): Promise<number | null> {
  const entry = path.join(testDistDir(), 'src', 'cli', 'main.js');
  const child = spawn(process.execPath, [entry, ...args], { env: cluster.env, stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

interface LoadResult {
  ok: number;
  failed: number;
  /** Successes that completed after `mark()` was called. */
  okAfterMark: number;
}

/** `concurrency` keep-alive loops calling GET /api/me/ until `stop()`. */
function startLoad(baseUrl: string, token: string, concurrency = 8): { mark(): void; stop(): Promise<LoadResult> } {
  const result: LoadResult = { ok: 0, failed: 0, okAfterMark: 0 };
  let marked = false;
  let stopped = false;
  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        const response = await fetch(`${baseUrl}/api/me/`, {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(15_000),
        });
        await response.arrayBuffer();
        if (response.status === 200) {
          result.ok++;
          if (marked) result.okAfterMark++;
        } else result.failed++;
      } catch {
        result.failed++;
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    mark: () => (marked = true),
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      return result;
    },
  };
}

describe('gatehouse serve (primary + workers)', { timeout: 240_000 }, () => {
  test('kill -9 of a worker under load: the load keeps succeeding and the worker is replaced', async () => {
    const cluster = await startCluster(['--workers', '2']);
    try {
      await waitForWorkers(cluster, 2);
      const token = await accessToken(cluster.baseUrl);
      const load = startLoad(cluster.baseUrl, token);
      await sleep(500);
      const [victim] = cluster.liveWorkers();
      assert.ok(victim !== undefined);
      const seen = cluster.logs.length;
      process.kill(victim, 'SIGKILL');
      load.mark();
      const exitLine = await cluster.waitFor((l) => l.event === 'worker_exit' && l.workerPid === victim, 10_000, seen);
      assert.equal(exitLine.planned, false);
      await cluster.waitFor((l) => l.event === 'worker_up', 30_000, seen);
      await sleep(500);
      const result = await load.stop();
      assert.ok(result.okAfterMark > 0, 'requests kept succeeding after the kill');
      // Only requests on the killed worker's connections may fail: at most one per connection.
      assert.ok(result.failed <= 8, `${result.failed} failed requests`);
      assert.equal(cluster.liveWorkers().length, 2);
      assert.ok(!cluster.liveWorkers().includes(victim));
      const metrics = await (await checkedFetch(`${cluster.baseUrl}/metrics`)).text();
      assert.match(metrics, /gatehouse_worker_restarts_total\{reason="crash"\} 1/);
    } finally {
      await cluster.stop();
    }
  });

  test('SIGHUP under load: every worker is replaced and no request fails', async () => {
    const cluster = await startCluster(['--workers', '2']);
    try {
      await waitForWorkers(cluster, 2);
      const before = cluster.liveWorkers();
      const token = await accessToken(cluster.baseUrl);
      const load = startLoad(cluster.baseUrl, token);
      await sleep(300);
      const seen = cluster.logs.length;
      cluster.child.kill('SIGHUP');
      await cluster.waitFor((l) => l.event === 'reload_finished', 90_000, seen);
      await sleep(300);
      const result = await load.stop();
      assert.equal(result.failed, 0);
      assert.ok(result.ok > 0);
      const afterReload = cluster.liveWorkers();
      assert.equal(afterReload.length, 2);
      for (const pid of before) assert.ok(!afterReload.includes(pid), 'old workers are gone');
    } finally {
      await cluster.stop();
    }
  });

  test('SIGHUP applies an edited GATEHOUSE_ENV_FILE; a broken one is refused and nothing changes', async () => {
    const envDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-envfile-'));
    const envFile = path.join(envDir, 'gatehouse.env');
    await writeFile(envFile, '# settings\nGATEHOUSE_ACCESS_TOKEN_LIFETIME=5m\n');
    const cluster = await startCluster(['--workers', '1'], { GATEHOUSE_ENV_FILE: envFile });
    const lifetime = async (token?: string): Promise<number> => {
      token ??= ((await (await checkedFetch(`${cluster.baseUrl}/api/token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'loadtester', password: 'load tester password' }),
      })).json()) as { access: string }).access;
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number; iat: number };
      return claims.exp - claims.iat;
    };
    try {
      await waitForWorkers(cluster, 1);
      assert.equal(await lifetime(await accessToken(cluster.baseUrl)), 300);

      await writeFile(envFile, 'GATEHOUSE_ACCESS_TOKEN_LIFETIME=5 fortnights\n');
      let seen = cluster.logs.length;
      cluster.child.kill('SIGHUP');
      await cluster.waitFor((l) => l.event === 'reload_refused', 30_000, seen);

      await writeFile(envFile, 'GATEHOUSE_ACCESS_TOKEN_LIFETIME=2m\n');
      seen = cluster.logs.length;
      cluster.child.kill('SIGHUP');
      await cluster.waitFor((l) => l.event === 'reload_finished', 90_000, seen);
      assert.equal(await lifetime(), 120);
    } finally {
      await cluster.stop();
      await rm(envDir, { recursive: true, force: true });
    }
  });

  test('--max-requests recycles workers under load with no failed request', async () => {
    const cluster = await startCluster(['--workers', '2', '--max-requests', '150', '--max-requests-jitter', '50']);
    try {
      await waitForWorkers(cluster, 2);
      const token = await accessToken(cluster.baseUrl);
      const seen = cluster.logs.length;
      const load = startLoad(cluster.baseUrl, token, 4);
      await cluster.waitFor((l) => l.event === 'worker_exit' && l.planned === true, 60_000, seen);
      const result = await load.stop();
      assert.equal(result.failed, 0);
      assert.ok(cluster.logs.some((l) => l.event === 'worker_max_requests'));
      assert.ok(!cluster.logs.some((l) => l.event === 'worker_exit' && l.planned === false), 'no worker crashed');
    } finally {
      await cluster.stop();
    }
  });

  test('a logout on one worker and a deactivation by the CLI are refused by every worker at once', async () => {
    const cluster = await startCluster(['--workers', '2']);
    try {
      await waitForWorkers(cluster, 2);
      const token = await accessToken(cluster.baseUrl);
      const headers = { 'content-type': 'application/json' };
      const credentials = JSON.stringify({ username: 'loadtester', password: 'load tester password' });
      const second = (await (await checkedFetch(`${cluster.baseUrl}/api/token/`, { method: 'POST', headers, body: credentials })).json()) as { access: string; refresh: string };
      // Both workers answer (and remember) both sessions first.
      assert.deepEqual(new Set(await meStatuses(cluster.baseUrl, token, 12)), new Set([200]));
      assert.deepEqual(new Set(await meStatuses(cluster.baseUrl, second.access, 12)), new Set([200]));

      const logout = await checkedFetch(`${cluster.baseUrl}/api/token/blacklist/`, { method: 'POST', headers, body: JSON.stringify({ refresh: second.refresh }) });
      assert.equal(logout.status, 200);
      assert.deepEqual(new Set(await meStatuses(cluster.baseUrl, second.access, 12)), new Set([401]));
      assert.deepEqual(new Set(await meStatuses(cluster.baseUrl, token, 12)), new Set([200]), 'the other session is untouched');

      assert.equal(await runCli(cluster, ['users', 'deactivate', 'loadtester']), 0);
      assert.deepEqual(new Set(await meStatuses(cluster.baseUrl, token, 12)), new Set([401]));
    } finally {
      await cluster.stop();
    }
  });

  test('SIGTERM: an in-flight request completes, then the primary exits 0', async () => {
    const cluster = await startCluster(['--workers', '2']);
    try {
      await waitForWorkers(cluster, 2);
      await accessToken(cluster.baseUrl);
      const body = JSON.stringify({ username: 'loadtester', password: 'load tester password' });
      const half = Math.floor(body.length / 2);
      // A login whose body is only half sent is in flight until we finish it.
      let held = (): void => undefined;
      const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(`${cluster.baseUrl}/api/token/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        });
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        req.write(body.slice(0, half));
        held = () => req.end(body.slice(half));
      });
      await sleep(300);
      const seen = cluster.logs.length;
      cluster.child.kill('SIGTERM');
      await cluster.waitFor((l) => l.event === 'shutdown_started', 10_000, seen);
      await sleep(500);
      assert.equal(cluster.child.exitCode, null, 'the primary waits for the in-flight request');
      held();
      const answered = await response;
      assert.equal(answered.status, 200);
      assert.ok('access' in (JSON.parse(answered.body) as object));
      const { code } = await cluster.exited;
      assert.equal(code, 0);
      assert.deepEqual(cluster.liveWorkers(), []);
    } finally {
      await cluster.stop();
    }
  });

  test('SIGTERM: a keep-alive client is answered with Connection: close, and /readyz fails first', async () => {
    const cluster = await startCluster(['--workers', '2']);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const readyz = () => get(`${cluster.baseUrl}/readyz`, { agent });
    try {
      await waitForWorkers(cluster, 2);
      assert.deepEqual(await readyz(), { status: 200, connection: 'keep-alive' });
      cluster.child.kill('SIGTERM');
      // Same socket, well inside the drain's idle limit, until the worker starts draining.
      let answer = await readyz();
      for (let i = 0; i < 100 && answer.connection === 'keep-alive'; i++) {
        assert.equal(answer.status, 200);
        await sleep(20);
        answer = await readyz();
      }
      assert.deepEqual(answer, { status: 503, connection: 'close' });
      assert.equal((await cluster.exited).code, 0);
    } finally {
      agent.destroy();
      await cluster.stop();
    }
  });

  test('workers leave when the primary dies, even ones still starting', async () => {
    const cluster = await startCluster(['--workers', '2']);
    try {
      // Freeze the primary as soon as it has forked a worker, so that the worker is still
      // starting, or waiting on the primary for the listening socket, when the primary dies.
      await cluster.waitFor((l) => l.event === 'worker_spawned', 30_000);
      cluster.child.kill('SIGSTOP');
      await sleep(4000);
      cluster.child.kill('SIGKILL');
      await cluster.exited;
      const pids = cluster.logs.filter((l) => l.event === 'worker_spawned').map((l) => l.workerPid as number);
      assert.ok(pids.length > 0);
      const deadline = Date.now() + 20_000;
      while (pids.some(isRunning) && Date.now() < deadline) await sleep(100);
      assert.deepEqual(pids.filter(isRunning), [], 'no orphaned worker is left running');
    } finally {
      for (const pid of cluster.logs.filter((l) => l.event === 'worker_spawned').map((l) => l.workerPid as number)) {
        if (isRunning(pid)) process.kill(pid, 'SIGKILL');
      }
      await cluster.stop();
    }
  });

  test('workers that cannot stay up make the primary exit non-zero', async () => {
    // The port is taken, so every worker fails to listen.
    const blocker: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    const cluster = await startCluster(['--workers', '2'], {}, port);
    try {
      let timer: NodeJS.Timeout | undefined;
      const { code } = await Promise.race([
        cluster.exited,
        new Promise<{ code: number }>((resolve) => (timer = setTimeout(() => resolve({ code: -999 }), 90_000))),
      ]);
      clearTimeout(timer);
      assert.notEqual(code, 0);
      assert.notEqual(code, -999, 'the primary gave up in bounded time');
      assert.ok(cluster.logs.some((l) => l.event === 'crash_loop'));
    } finally {
      await cluster.stop();
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('gatehouse serve: settings are checked on every load, not only at first start', { timeout: 240_000 }, () => {
  // Parses, but unsafe: an introspection secret shorter than 16 characters.
  const UNSAFE_VALUE = 'resource:tiny-secret-42';
  const PINO_ERROR = 50;

  async function envFileWith(text: string): Promise<{ file: string; dir: string }> {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-envfile-'));
    const file = path.join(dir, 'gatehouse.env');
    await writeFile(file, text);
    return { file, dir };
  }

  /** Lines logged since `from`, as text, for "never the value" checks. */
  const textSince = (cluster: Cluster, from: number): string => JSON.stringify(cluster.logs.slice(from));

  test('SIGHUP and a crash respawn with an unsafe GATEHOUSE_ENV_FILE: refused with one error line each, the running workers kept', async () => {
    const env = await envFileWith('GATEHOUSE_ACCESS_TOKEN_LIFETIME=5m\n');
    const cluster = await startCluster(['--workers', '2'], { GATEHOUSE_ENV_FILE: env.file });
    try {
      await waitForWorkers(cluster, 2);
      const before = cluster.liveWorkers();
      await writeFile(env.file, `GATEHOUSE_INTROSPECTION_CLIENTS=${UNSAFE_VALUE}\n`);

      // SIGHUP: the reload is refused before any worker is replaced.
      let seen = cluster.logs.length;
      cluster.child.kill('SIGHUP');
      const outcome = await cluster.waitFor((l) => l.event === 'reload_refused' || l.event === 'reload_finished' || l.event === 'worker_spawned', 60_000, seen);
      assert.equal(outcome.event, 'reload_refused');
      assert.match(String(outcome['reason']), /GATEHOUSE_INTROSPECTION_CLIENTS/);
      await sleep(1000);
      assert.deepEqual(cluster.liveWorkers(), before, 'the running workers are kept');
      assert.ok(!cluster.logs.slice(seen).some((l) => l.event === 'worker_spawned'));
      assert.equal(cluster.logs.slice(seen).filter((l) => Number(l['level']) >= PINO_ERROR).length, 1, 'one error line');
      assert.ok(!textSince(cluster, seen).includes('tiny-secret'), 'never the value');

      // A crashed worker is not replaced by one with the unsafe settings; the other keeps serving.
      seen = cluster.logs.length;
      const [victim, survivor] = before;
      assert.ok(victim !== undefined && survivor !== undefined);
      process.kill(victim, 'SIGKILL');
      const respawn = await cluster.waitFor((l) => l.event === 'respawn_refused' || l.event === 'worker_spawned', 30_000, seen);
      assert.equal(respawn.event, 'respawn_refused');
      assert.match(String(respawn['reason']), /GATEHOUSE_INTROSPECTION_CLIENTS/);
      await sleep(9000); // past one re-check (every 8 s): still refused, and not logged again
      assert.deepEqual(cluster.liveWorkers(), [survivor]);
      assert.equal(cluster.logs.slice(seen).filter((l) => l.event === 'respawn_refused').length, 1);
      assert.ok(!textSince(cluster, seen).includes('tiny-secret'), 'never the value');
      assert.equal((await checkedFetch(`${cluster.baseUrl}/readyz`)).status, 200);

      // Fixed: the slot is refilled without another signal.
      seen = cluster.logs.length;
      await writeFile(env.file, 'GATEHOUSE_ACCESS_TOKEN_LIFETIME=2m\n');
      await cluster.waitFor((l) => l.event === 'worker_up', 30_000, seen);
      assert.equal(cluster.liveWorkers().length, 2);
    } finally {
      await cluster.stop();
      await rm(env.dir, { recursive: true, force: true });
    }
  });

  test('a max-requests recycle with an unsafe GATEHOUSE_ENV_FILE keeps the worker serving', async () => {
    const env = await envFileWith('GATEHOUSE_ACCESS_TOKEN_LIFETIME=5m\n');
    const cluster = await startCluster(['--workers', '1', '--max-requests', '40'], { GATEHOUSE_ENV_FILE: env.file });
    try {
      await waitForWorkers(cluster, 1);
      const before = cluster.liveWorkers();
      await writeFile(env.file, `GATEHOUSE_INTROSPECTION_CLIENTS=${UNSAFE_VALUE}\n`);
      const seen = cluster.logs.length;
      for (let i = 0; i < 60; i++) assert.equal((await checkedFetch(`${cluster.baseUrl}/healthz`)).status, 200);
      const outcome = await cluster.waitFor((l) => l.event === 'recycle_refused' || l.event === 'worker_spawned', 30_000, seen);
      assert.equal(outcome.event, 'recycle_refused');
      assert.match(String(outcome['reason']), /GATEHOUSE_INTROSPECTION_CLIENTS/);
      for (let i = 0; i < 20; i++) assert.equal((await checkedFetch(`${cluster.baseUrl}/healthz`)).status, 200);
      await sleep(500);
      assert.deepEqual(cluster.liveWorkers(), before, 'the same worker keeps serving');
      assert.ok(!cluster.logs.slice(seen).some((l) => l.event === 'worker_spawned'));
      assert.equal(cluster.logs.slice(seen).filter((l) => Number(l['level']) >= PINO_ERROR).length, 1, 'one error line');
      assert.ok(!textSince(cluster, seen).includes('tiny-secret'), 'never the value');
    } finally {
      await cluster.stop();
      await rm(env.dir, { recursive: true, force: true });
    }
  });
});
