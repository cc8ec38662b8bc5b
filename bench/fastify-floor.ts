// The floor under every Gatehouse HTTP figure: a Fastify app with nothing but one route that
// answers the same JSON as the bare node:http baseline, no logging, hooks, database or tokens.
// Its ratio to bare node:http is the most any Fastify application can reach on this machine.
import { spawn, type ChildProcess } from 'node:child_process';
import Fastify from 'fastify';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '../test/support/spawn-server.js';
import { alternateLoad, childPids, load, type LoadFigures } from './cluster-bench.js';

const thisFile = fileURLToPath(import.meta.url);
const clusterBench = fileURLToPath(new URL('./cluster-bench.js', import.meta.url));
const BODY = { id: 1, username: 'benchuser', is_active: true, last_login: null, date_joined: '2024-01-01T00:00:00.000Z' };

async function answering(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error('benchmark server exited early');
    if (await fetch(url).then((r) => r.arrayBuffer().then(() => r.ok), () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no answer from ${url}`);
}

/**
 * req/s, p99 and server CPU µs per request of GET /api/me/ on a minimal Fastify app and on bare
 * node:http, one process each.
 */
export async function benchFastifyFloor(durationSeconds: number): Promise<{ fastify: LoadFigures; bare: LoadFigures }> {
  const [fastifyPort, barePort] = [await freePort(), await freePort()];
  const fastify = spawn(process.execPath, [thisFile, '--serve', String(fastifyPort)], { stdio: 'ignore' });
  const bare = spawn(process.execPath, [clusterBench, '--bare-server', String(barePort), '1'], { stdio: 'ignore' });
  try {
    const urls = [`http://127.0.0.1:${fastifyPort}/api/me/`, `http://127.0.0.1:${barePort}/api/me/`] as const;
    await answering(urls[0], fastify);
    await answering(urls[1], bare);
    const targets = [
      { url: urls[0], pids: [fastify.pid ?? -1] },
      { url: urls[1], pids: childPids(bare.pid ?? -1) },
    ] as const;
    // One short run each first, so that neither is measured while still warming up.
    for (const target of targets) await load({ url: target.url, durationSeconds: 1 });
    const [fastifyFigures, bareFigures] = await alternateLoad({}, durationSeconds, targets);
    return { fastify: fastifyFigures, bare: bareFigures };
  } finally {
    fastify.kill('SIGKILL');
    bare.kill('SIGTERM');
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--serve') {
  const app = Fastify();
  app.get('/api/me/', async () => BODY);
  await app.listen({ host: '127.0.0.1', port: Number(process.argv[3]) });
}
