import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { httpCall } from './http-call.js';
import { freePort } from './spawn-server.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The nginx binary on PATH or in the usual sbin directories, if installed. */
export function findNginx(): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'];
  return dirs.map((dir) => path.join(dir, 'nginx')).find((candidate) => existsSync(candidate));
}

export interface RunningNginx {
  /** `http://127.0.0.1:PORT`, where nginx listens. */
  readonly baseUrl: string;
  /** What nginx wrote to stderr and its error log so far. */
  logs(): Promise<string>;
  /** SIGTERM (SIGKILL after a bound), then removes the prefix directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Renders one of the deploy/ nginx configs for this machine and runs it with a private prefix on a
 * free loopback port, as root or not. `@@USER@@`, `@@PREFIX@@`, `@@LISTEN@@`, `@@SERVER_NAME@@` and
 * `@@STATIC_ROOT@@` (a directory with an index.html) are filled here, `placeholders` supplies the
 * rest; a placeholder left in a directive fails the start. Resolves once nginx serves the page.
 *
 * @example
 * const nginx = await startNginx(findNginx()!, 'deploy/two-node/nginx.conf', { '@@NODE_A@@': '127.0.0.1:8001', '@@NODE_B@@': '127.0.0.1:8002' });
 * try { … } finally { await nginx.stop(); }
 */
export async function startNginx(binary: string, templatePath: string, placeholders: Record<string, string>): Promise<RunningNginx> {
  const prefix = await mkdtemp(path.join(tmpdir(), 'gatehouse-nginx-'));
  // nginx's workers may run as another user when we are root: let them read and write here.
  await chmod(prefix, 0o755);
  const staticRoot = path.join(prefix, 'public');
  await mkdir(staticRoot);
  await writeFile(path.join(staticRoot, 'index.html'), '<!doctype html><title>served by nginx</title>\n');
  const port = await freePort();
  let rendered = (await readFile(path.resolve(process.cwd(), templatePath), 'utf8'))
    .replaceAll('@@USER@@', userInfo().username)
    .replaceAll('@@PREFIX@@', prefix)
    .replaceAll('@@LISTEN@@', `127.0.0.1:${port}`)
    .replaceAll('@@SERVER_NAME@@', 'localhost')
    .replaceAll('@@STATIC_ROOT@@', staticRoot);
  for (const [name, value] of Object.entries(placeholders)) rendered = rendered.replaceAll(name, value);
  const left = rendered.split('\n').filter((line) => !line.trim().startsWith('#') && line.includes('@@'));
  if (left.length > 0) {
    await rm(prefix, { recursive: true, force: true });
    throw new Error(`startNginx: placeholders left in ${templatePath}: ${left.join(' | ')}`);
  }
  const confPath = path.join(prefix, 'nginx.conf');
  await writeFile(confPath, rendered);

  const child = spawn(binary, ['-p', prefix, '-e', path.join(prefix, 'error.log'), '-c', confPath, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logs = async (): Promise<string> => output + (await readFile(path.join(prefix, 'error.log'), 'utf8').catch(() => ''));

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(prefix, { recursive: true, force: true });
    })());

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${await logs()}`);
      const page = await httpCall(`${baseUrl}/index.html`, { timeoutMs: 2000, notApi: 'the demo page, from nginx\'s static root' }).catch(() => undefined);
      if (page?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`nginx did not answer: ${await logs()}`);
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, logs, stop };
}
