// The floor under every Gatehouse HTTP figure: a Fastify app with nothing but one route that
// answers the same JSON as the bare node:http baseline, no logging, hooks, database or tokens.
// Its ratio to bare node:http is the most any Fastify application can reach on this machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '../test/support/spawn-server.js';
import { childPids, cpuMicros, type LoadFigures } from './cluster-bench.js';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p99: number };
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: { url: string; connections: number; duration: number }) => Promise<AutocannonResult>;
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
    const pids = { fastify: [fastify.pid ?? -1], bare: childPids(bare.pid ?? -1) };
    const run = async (url: string, serverPids: readonly number[]) => {
      const cpuBefore = cpuMicros(serverPids);
      const result = await autocannon({ url, connections: 32, duration: Math.max(1, Math.round(durationSeconds / 3)) });
      return { rps: Math.round(result.requests.average), p99: result.latency.p99, cpu: cpuMicros(serverPids) - cpuBefore, requests: result.requests.total };
    };
    await run(urls[0], pids.fastify);
    await run(urls[1], pids.bare);
    // Alternate short runs so that background load on a shared machine hits both alike.
    const rounds = 3;
    const sums = { fastify: { rps: 0, p99: 0, cpu: 0, requests: 0 }, bare: { rps: 0, p99: 0, cpu: 0, requests: 0 } };
    for (let round = 0; round < rounds; round++) {
      for (const [name, url] of [['fastify', urls[0]], ['bare', urls[1]]] as const) {
        const result = await run(url, pids[name]);
        sums[name].rps += result.rps / rounds;
        sums[name].p99 = Math.max(sums[name].p99, result.p99);
        sums[name].cpu += result.cpu;
        sums[name].requests += result.requests;
      }
    }
    const figures = (sum: (typeof sums)['bare']): LoadFigures => ({
      rps: Math.round(sum.rps),
      p99: sum.p99,
      cpuMicros: sum.requests > 0 ? Math.round(sum.cpu / sum.requests) : 0,
    });
    return { fastify: figures(sums.fastify), bare: figures(sums.bare) };
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
