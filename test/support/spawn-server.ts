import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export interface SpawnedServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly baseUrl: string;
  /** SIGTERM, then SIGKILL after a bound; removes the data directory. Safe to call twice. */
  stop(): Promise<void>;
  /** Everything the server wrote to stdout and stderr so far (for failure messages). */
  logs(): string;
}

export interface SpawnOptions {
  /** The compiled output to run; default `$GATEHOUSE_TEST_DIST` or `dist` (so a helper can point at `dist-NAME`). */
  distDir?: string;
  /** How long to wait for `GET /readyz` to answer 200. */
  readyTimeoutMs?: number;
}

const STOP_TIMEOUT_MS = 10_000;

/**
 * Tests sign up and fail logins from one loopback address far more than any person: the abuse
 * limits are off unless a test sets them (test/abuse-limits.test.ts does).
 */
export const ABUSE_LIMITS_OFF = Object.freeze({
  GATEHOUSE_SIGNUP_RATE_LIMIT: '0',
  GATEHOUSE_LOGIN_ACCOUNT_LIMIT: '0',
  GATEHOUSE_LOGIN_ADDRESS_LIMIT: '0',
});

/** The directory of the compiled project the tests run from. */
export function testDistDir(): string {
  return path.resolve(process.cwd(), process.env['GATEHOUSE_TEST_DIST'] ?? 'dist');
}

/** A TCP port that was free on 127.0.0.1 a moment ago (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `gatehouse serve` as a child process on a free loopback port with a fresh SQLite data
 * directory and cheap argon2 settings, and resolves once `/readyz` answers 200.
 *
 * @example
 * const server = await spawnServer({ GATEHOUSE_ACCESS_TOKEN_LIFETIME: '3s' });
 * try {
 *   const response = await fetch(`${server.baseUrl}/api/token/`, { method: 'POST', body: '{}' });
 * } finally {
 *   await server.stop();
 * }
 */
export async function spawnServer(env: Record<string, string> = {}, options: SpawnOptions = {}): Promise<SpawnedServer> {
  const distDir = options.distDir === undefined ? testDistDir() : path.resolve(process.cwd(), options.distDir);
  const entry = path.join(distDir, 'src', 'cli', 'main.js');
  if (!existsSync(entry)) throw new Error(`spawnServer: ${entry} does not exist; build first (npm run build).`);
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-test-'));
  let output = '';
  const child = spawn(process.execPath, [entry, 'serve'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_WORKERS: '1',
      GATEHOUSE_ARGON2_MEMORY_KIB: '1024',
      GATEHOUSE_ARGON2_ITERATIONS: '1',
      GATEHOUSE_LOG_LEVEL: 'warn',
      ...ABUSE_LIMITS_OFF,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer): void => {
    // Bounded so a chatty server cannot exhaust memory in a long test.
    output = (output + chunk.toString('utf8')).slice(-200_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const deadline = Date.now() + readyTimeoutMs;
  // Give up only after the deadline and a number of polls: on a stalled machine a wall-clock
  // deadline can pass before the child has run at all (once here it had printed nothing by then).
  const minimumPolls = readyTimeoutMs / 200;
  let polls = 0;
  try {
    for (;;) {
      polls += 1;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`spawnServer: the server exited early (${child.exitCode ?? child.signalCode}).\n${output}`);
      }
      try {
        const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline && polls >= minimumPolls) throw new Error(`spawnServer: /readyz did not answer 200 in time.\n${output}`);
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, stop, logs: () => output };
}
