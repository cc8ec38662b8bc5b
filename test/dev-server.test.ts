import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from './support/spawn-server.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const DIST = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('gatehouse dev', () => {
  it('says it is not for production and restarts when the compiled code changes', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-dev-'));
    const port = await freePort();
    const probe = path.join(DIST, `dev-reload-probe-${randomBytes(4).toString('hex')}.json`);
    const child = spawn(process.execPath, [CLI, 'dev'], {
      env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const ready = () => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    try {
      await waitFor(ready, 'the dev server');
      assert.match(output, /not for production/);
      await writeFile(probe, '{}');
      await waitFor(() => /changed, restarting/.test(output), 'a restart');
      await waitFor(ready, 'the restarted worker').catch((error: unknown) => {
        throw new Error(`${String(error)}\n${output}`);
      });
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      await rm(probe, { force: true });
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
