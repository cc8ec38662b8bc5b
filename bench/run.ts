// `npm run bench`: every figure next to its baseline, measured in the same run on this machine.
// 1. HTTP, one worker: Gatehouse vs a bare node:http server answering the same JSON, and the
//    floor: a one-route Fastify app vs the same bare server.
// 2. HTTP, two workers side by side (cluster), with worker RSS at start and end of ~60 s of load.
// 3. GET /api/me/ with the default algorithm, with and without the verified-token cache.
// 4. Token signing and verification per algorithm vs raw node:crypto.
import { availableParallelism } from 'node:os';
import { benchCluster, type ClusterBenchRow } from './cluster-bench.js';
import { benchFastifyFloor } from './fastify-floor.js';
import { benchVerify } from './verify-bench.js';

const quick = process.argv.includes('--quick');
const seconds = quick ? 3 : 10;

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function percent(value: number, baseline: number): string {
  return baseline === 0 ? '-' : `${Math.round((100 * value) / baseline)}%`;
}

function printRows(rows: readonly ClusterBenchRow[]): void {
  print('| endpoint | Gatehouse req/s | p99 ms | bare node:http req/s | p99 ms | ratio | CPU µs/request, Gatehouse vs bare |');
  print('|---|---|---|---|---|---|---|');
  for (const row of rows) {
    print(`| ${row.endpoint} | ${row.gatehouse.rps} | ${row.gatehouse.p99} | ${row.bare.rps} | ${row.bare.p99} | ${percent(row.gatehouse.rps, row.bare.rps)} | ${row.gatehouse.cpuMicros} vs ${row.bare.cpuMicros} |`);
  }
  print();
}

const mb = (bytes: readonly number[]): string => bytes.map((b) => `${(b / 1048576).toFixed(1)} MB`).join(', ');

print(`Gatehouse benchmark — ${new Date().toISOString()}, ${availableParallelism()} CPUs, Node ${process.version}${quick ? ' (quick)' : ''}`);
print('Loopback load with autocannon (32 connections). Logging at info, as in production.');
print('Refresh runs with rotation off so one token can be replayed; login uses OWASP argon2 cost.');
print();

print(`## One worker (${seconds} s per endpoint and server, in alternating turns)`);
const single = await benchCluster({ workers: 1, durationSeconds: seconds });
printRows(single.rows);

const clusterSeconds = quick ? 3 : 20;
print(`## The floor: a bare Fastify route vs bare node:http, one process (${seconds} s each)`);
const floor = await benchFastifyFloor(seconds);
print(`Fastify ${floor.fastify.rps} req/s (p99 ${floor.fastify.p99} ms, ${floor.fastify.cpuMicros} µs CPU/request) vs node:http ${floor.bare.rps} req/s (p99 ${floor.bare.p99} ms, ${floor.bare.cpuMicros} µs CPU/request): ${percent(floor.fastify.rps, floor.bare.rps)}`);
print();

print(`## Two workers (${clusterSeconds} s per endpoint and server, in alternating turns)`);
const pair = await benchCluster({ workers: 2, durationSeconds: clusterSeconds });
printRows(pair.rows);
print(`Worker RSS at start: ${mb(pair.rss.start)}; at end: ${mb(pair.rss.end)}`);
print();

print(`## GET /api/me/ (ES256, one worker): verified-token cache on vs off (${seconds} s each)`);
const cacheOn = await benchCluster({ workers: 1, durationSeconds: seconds, endpoints: ['me'], env: { GATEHOUSE_VERIFIED_TOKEN_CACHE: 'on' } });
const cacheOff = await benchCluster({ workers: 1, durationSeconds: seconds, endpoints: ['me'], env: { GATEHOUSE_VERIFIED_TOKEN_CACHE: 'off' } });
print('| cache | Gatehouse req/s | p99 ms | bare req/s | ratio | CPU µs/request, Gatehouse vs bare |');
print('|---|---|---|---|---|---|');
for (const [name, result] of [['on', cacheOn], ['off', cacheOff]] as const) {
  const row = result.rows[0];
  if (row !== undefined) print(`| ${name} | ${row.gatehouse.rps} | ${row.gatehouse.p99} | ${row.bare.rps} | ${percent(row.gatehouse.rps, row.bare.rps)} | ${row.gatehouse.cpuMicros} vs ${row.bare.cpuMicros} |`);
}
print();

print('## Tokens: operations per second, Gatehouse vs raw node:crypto (same key, same input)');
print('Ops/s are medians over 16 alternating slices; each % is the median of the ratios measured within one slice.');
const tokens = await benchVerify({ durationMs: quick ? 200 : 800 });
const ratio = (value: number): string => `${Math.round(100 * value)}%`;
print('| alg | sign | raw sign | % | gatehouse/verify (no cache) | server check (no cache) | raw verify | verify % | server % | verify (cached) |');
print('|---|---|---|---|---|---|---|---|---|---|');
for (const row of tokens) {
  print(`| ${row.algorithm} | ${row.signOps} | ${row.rawSignOps} | ${ratio(row.signRatio)} | ${row.verifyOps} | ${row.serverVerifyOps} | ${row.rawVerifyOps} | ${ratio(row.verifyRatio)} | ${ratio(row.serverVerifyRatio)} | ${row.cachedVerifyOps} |`);
}
