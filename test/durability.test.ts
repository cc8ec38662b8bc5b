import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkedFetch } from './support/http-call.js';
import { ABUSE_LIMITS_OFF, freePort } from './support/spawn-server.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const PASSWORD = 'durable-password';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
}

/** `gatehouse serve` in its own process group, so SIGKILL can take the primary and workers at once. */
async function startServer(dataDir: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'serve', '--workers', '2'], {
    detached: true,
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ARGON2_MEMORY_KIB: '1024',
      GATEHOUSE_ARGON2_ITERATIONS: '1',
      GATEHOUSE_LOGIN_RATE_LIMIT: '0',
      ...ABUSE_LIMITS_OFF,
      GATEHOUSE_LOG_LEVEL: 'silent',
    },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) return { child, url };
    await sleep(100);
  }
  killGroup(child, 'SIGKILL');
  throw new Error('server did not become ready');
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  killGroup(server.child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(server.child, 'SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, string> }> {
  const response = await checkedFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, string> };
}

describe('durability', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-durable-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps users, keys and issued tokens across a restart', async () => {
    let server = await startServer(dataDir);
    let tokens: Record<string, string>;
    let jwks: unknown;
    try {
      assert.equal((await post(`${server.url}/api/users/`, { username: 'keeper', password: PASSWORD })).status, 201);
      tokens = (await post(`${server.url}/api/token/`, { username: 'keeper', password: PASSWORD })).json;
      jwks = await (await checkedFetch(`${server.url}/.well-known/jwks.json`)).json();
    } finally {
      await stopServer(server);
    }
    server = await startServer(dataDir);
    try {
      assert.deepEqual(await (await checkedFetch(`${server.url}/.well-known/jwks.json`)).json(), jwks, 'the same signing key');
      const me = await checkedFetch(`${server.url}/api/me/`, { headers: { authorization: `Bearer ${tokens.access}` } });
      assert.equal(me.status, 200, 'an access token from before the restart still works');
      assert.equal((await post(`${server.url}/api/token/refresh/`, { refresh: tokens.refresh })).status, 200);
    } finally {
      await stopServer(server);
    }
  });

  it('loses no committed user or token state when killed with SIGKILL mid-traffic', async () => {
    const server = await startServer(dataDir);
    const users = Array.from({ length: 6 }, (_, i) => `victim${i}`);
    const chains: Array<{ used: string[]; last: string; busy: boolean }> = [];
    try {
      for (const username of users) assert.equal((await post(`${server.url}/api/users/`, { username, password: PASSWORD })).status, 201);
      for (const username of users) {
        const pair = (await post(`${server.url}/api/token/`, { username, password: PASSWORD })).json;
        chains.push({ used: [], last: String(pair.refresh), busy: false });
      }
      let stop = false;
      // Half the chains refresh until the kill; the other half settle first, so their state is known.
      const traffic = chains.map(async (chain, index) => {
        const rounds = index % 2 === 0 ? Infinity : 5;
        for (let round = 0; round < rounds && !stop; round++) {
          chain.busy = true;
          try {
            const response = await post(`${server.url}/api/token/refresh/`, { refresh: chain.last });
            if (response.status !== 200) throw new Error(`refresh answered ${response.status}`);
            chain.used.push(chain.last);
            chain.last = String(response.json.refresh);
            chain.busy = false;
          } catch (error) {
            if (!stop) throw error;
            return;
          }
        }
      });
      const logins = (async () => {
        while (!stop) await post(`${server.url}/api/token/`, { username: users[0], password: PASSWORD }).catch(() => undefined);
      })();
      await sleep(1500);
      stop = true;
      killGroup(server.child, 'SIGKILL');
      await Promise.allSettled([...traffic, logins]);
    } finally {
      killGroup(server.child, 'SIGKILL');
    }

    const restarted = await startServer(dataDir);
    try {
      for (const username of users) {
        assert.equal((await post(`${restarted.url}/api/token/`, { username, password: PASSWORD })).status, 200, `${username} survived`);
      }
      for (const chain of chains) {
        assert.ok(chain.used.length > 0, 'every chain rotated at least once before the kill');
        if (!chain.busy) {
          assert.equal((await post(`${restarted.url}/api/token/refresh/`, { refresh: chain.last })).status, 200, 'the latest token still works');
        }
        // A rotation that was answered was committed: replaying its input is refused.
        assert.equal((await post(`${restarted.url}/api/token/refresh/`, { refresh: chain.used[0] })).status, 401);
      }
    } finally {
      await stopServer(restarted);
    }
  });
});
