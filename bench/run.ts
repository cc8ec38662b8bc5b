// `npm run bench`: every figure next to its baseline, measured in the same run on this machine.
// 1. HTTP, one worker: Gatehouse vs a bare node:http server answering the same JSON, and the
//    floor: a one-route Fastify app vs the same bare server.
// 2. HTTP, two workers side by side (cluster), with worker RSS at start and end of ~60 s of load.
// 3. GET /api/me/ with the default algorithm, with and without the verified-token cache.
// 4. GET /api/me/ and refresh on PostgreSQL next to SQLite, and PostgreSQL transactions per call.
// 5. What the audit trail costs: login and refresh with GATEHOUSE_AUDIT on vs off, on both stores.
// 6. A login flood: GET /api/me/ and every login's answer time during it, with the hash queue
//    bounded (GATEHOUSE_HASH_QUEUE_LIMIT=16, the default) and unbounded, next to GET /api/me/ alone.
// 7. Revocation propagation between two nodes on one database.
// 8. Token signing and verification per algorithm vs raw node:crypto.
import { availableParallelism } from 'node:os';
import { benchAudit, type AuditBenchRow } from './audit-bench.js';
import { benchCluster, type ClusterBenchRow, type LoadFigures } from './cluster-bench.js';
import { benchFastifyFloor } from './fastify-floor.js';
import { benchFlood, floodReport } from './flood-bench.js';
import { benchPropagationPostgres, benchPropagationSqlite, type PropagationResult } from './revocation-bench.js';
import { benchStores, COUNTING_CONCURRENCY } from './store-bench.js';
import { benchVerify } from './verify-bench.js';
import { assertWrkInstalled, CONNECTIONS, WRK_THREADS } from './wrk.js';

try {
  assertWrkInstalled();
} catch (error) {
  // Before anything starts: a message, not a stack trace.
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}

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

function printStoreRows(endpoint: string, sqlite: LoadFigures, postgres: LoadFigures, bare: LoadFigures): void {
  print(`| store | ${endpoint} req/s | p99 ms | CPU µs/request | PostgreSQL backends' CPU µs/request | % of SQLite | % of bare |`);
  print('|---|---|---|---|---|---|---|');
  print(`| SQLite | ${sqlite.rps} | ${sqlite.p99} | ${sqlite.cpuMicros} | - | 100% | ${percent(sqlite.rps, bare.rps)} |`);
  print(`| PostgreSQL | ${postgres.rps} | ${postgres.p99} | ${postgres.cpuMicros} | ${postgres.backendCpuMicros} | ${percent(postgres.rps, sqlite.rps)} | ${percent(postgres.rps, bare.rps)} |`);
  print(`| bare node:http | ${bare.rps} | ${bare.p99} | ${bare.cpuMicros} | - | - | 100% |`);
  print();
}

function printPropagation(store: string, result: PropagationResult): void {
  const ms = (value: number): string => (Number.isNaN(value) ? '-' : String(value));
  print(`| ${store} | ${ms(result.p50)} | ${ms(result.p99)} | ${ms(result.max)} | ${result.measured} | ${result.timedOut} |`);
}

function printAuditRows(rows: readonly AuditBenchRow[]): void {
  // PostgreSQL does its share of every query in its own backend processes: their CPU is shown next
  // to the worker's, and counts in the difference, where the audit's INSERTs are.
  const total = (figures: LoadFigures): number => figures.cpuMicros + figures.backendCpuMicros;
  const cpu = (figures: LoadFigures, store: string): string => (store === 'PostgreSQL' ? `${figures.cpuMicros} + ${figures.backendCpuMicros} PG` : String(figures.cpuMicros));
  print('| endpoint | store | audit on req/s | p99 ms | CPU µs/request | audit off req/s | p99 ms | CPU µs/request | on as % of off (req/s) | CPU µs/request, on − off |');
  print('|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    print(`| ${row.endpoint} | ${row.store} | ${row.on.rps} | ${row.on.p99} | ${cpu(row.on, row.store)} | ${row.off.rps} | ${row.off.p99} | ${cpu(row.off, row.store)} | ${percent(row.on.rps, row.off.rps)} | ${total(row.on) - total(row.off)} |`);
  }
  print();
}

const mb = (bytes: readonly number[]): string => bytes.map((b) => `${(b / 1048576).toFixed(1)} MB`).join(', ');

print(`Gatehouse benchmark — ${new Date().toISOString()}, ${availableParallelism()} CPUs, Node ${process.version}${quick ? ' (quick)' : ''}`);
print(`Load generator: wrk (${WRK_THREADS} thread, ${CONNECTIONS} connections, keep-alive) on loopback. Logging at info, as in production.`);
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

print(`## PostgreSQL next to SQLite (one worker each, ${seconds} s per endpoint and server, in alternating turns)`);
const stores = await benchStores({ durationSeconds: seconds, transactionRequests: 3000 });
for (const row of stores.rows) printStoreRows(row.endpoint, row.sqlite, row.postgres, row.bare);
const meRow = stores.rows[0];
if (meRow !== undefined) {
  const met = meRow.postgres.rps >= 0.9 * meRow.sqlite.rps;
  print(`Target, PostgreSQL GET /api/me/ at least 90% of SQLite's req/s: ${met ? 'met' : 'not met'} (${percent(meRow.postgres.rps, meRow.sqlite.rps)}).`);
}
const xacts = stores.transactions;
print(`PostgreSQL transactions per GET /api/me/: ${xacts.perRequest.toFixed(3)} (${xacts.forRequests} over ${xacts.requests} requests, ${COUNTING_CONCURRENCY} at a time, one worker;`);
print(`xact_commit from pg_stat_database over a server's life with the requests, less one without: ${xacts.withoutRequests} for start and stop).`);
print();

// Short in quick mode, where that row is a smoke test: at the OWASP cost one worker answers a few dozen logins a second.
const owaspLoginSeconds = quick ? 2 : 10;
print(`## The audit trail: GATEHOUSE_AUDIT=on vs off (one worker each, ${seconds} s per endpoint and server, in alternating turns)`);
print('With it on, every login and refresh queues an event that the worker writes in batches (up to 200, every 200 ms), so the');
print('write is in the worker\'s CPU time (on PostgreSQL, partly in its backends\', shown after the +). Login with argon2 at its floor');
print(`(1 MiB, 1 iteration), so the hash does not hide that cost; then at the default OWASP cost (${owaspLoginSeconds} s per server, SQLite).`);
print('Refresh with rotation off, one token replayed. Each PostgreSQL server has a database of its own.');
printAuditRows(await benchAudit({ durationSeconds: seconds, owaspLoginSeconds, postgres: true }));

const floodSeconds = quick ? 4 : 10;
for (const line of floodReport(await benchFlood({ durationSeconds: floodSeconds }), floodSeconds)) print(line);
print();

const propagationRuns = quick ? 40 : 200;
print(`## Revocation propagation between two nodes (two workers each, one database, ${propagationRuns} logins)`);
print('From node A answering POST /api/token/blacklist/ until node B answers 401 to GET /api/me/ with that login\'s access token on both of');
print('its workers (one keep-alive connection to each, polled without pause). GATEHOUSE_SESSION_STATE_MAX_AGE=30s, so the figure is the');
print('notification, not that bound.');
print('| store | p50 ms | p99 ms | max ms | logins measured | still accepted after 10 s |');
print('|---|---|---|---|---|---|');
printPropagation('PostgreSQL', await benchPropagationPostgres(propagationRuns));
printPropagation('SQLite (one file, both nodes)', await benchPropagationSqlite(propagationRuns));
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
