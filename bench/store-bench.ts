// The same server on PostgreSQL and on SQLite, one worker each, with the bare node:http baseline
// measured in the same alternating turns; and how many PostgreSQL transactions one GET /api/me/
// costs, from PostgreSQL's own count.
import {
  alternateLoad,
  benchEndpoints,
  sleep,
  signUpAndLogIn,
  startBare,
  startGatehouse,
  warmUp,
  type BenchServer,
  type Endpoint,
  type EndpointKey,
  type LoadFigures,
} from './cluster-bench.js';
import { createBenchDatabase, type BenchDatabase } from './postgres-database.js';

export interface StoreBenchRow {
  readonly endpoint: string;
  readonly sqlite: LoadFigures;
  readonly postgres: LoadFigures;
  readonly bare: LoadFigures;
}

export interface StoreBenchResult {
  readonly rows: readonly StoreBenchRow[];
  readonly transactions: TransactionCount;
}

/** PostgreSQL transactions committed for GET /api/me/. */
export interface TransactionCount {
  readonly requests: number;
  /** Committed over a server's life with the requests, less {@link withoutRequests}. */
  readonly forRequests: number;
  /** Committed over a server's life (start, stop) with no request. */
  readonly withoutRequests: number;
  readonly perRequest: number;
}

export interface StoreBenchOptions {
  readonly durationSeconds: number;
  /** How many GET /api/me/ the transaction count is taken over. */
  readonly transactionRequests: number;
}

const ENDPOINTS: readonly EndpointKey[] = ['me', 'refresh'];
/** Requests in flight at once while counting transactions. */
export const COUNTING_CONCURRENCY = 8;

function endpointOf(endpoints: readonly Endpoint[], key: EndpointKey): Endpoint {
  const endpoint = endpoints.find((candidate) => candidate.key === key);
  if (endpoint === undefined) throw new Error(`no ${key} endpoint`);
  return endpoint;
}

/** `count` GET /api/me/ with `access`, a few at a time on keep-alive connections; each must be 200. */
async function callMe(url: string, access: string, count: number): Promise<void> {
  let next = 0;
  const caller = async (): Promise<void> => {
    while (next < count) {
      next++;
      const response = await fetch(`${url}/api/me/`, { headers: { authorization: `Bearer ${access}` } });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`GET /api/me/ answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: COUNTING_CONCURRENCY }, caller));
}

/** Transactions committed in `database` over one start, `during` and stop of a one-worker server. */
async function transactionsOverServerLife(database: BenchDatabase, during: (url: string) => Promise<void>): Promise<number> {
  const before = await database.committedWhenIdle();
  const server = await startGatehouse({ workers: 1, env: { GATEHOUSE_DATABASE_URL: database.url } });
  try {
    await during(server.url);
  } finally {
    await server.stop();
  }
  return (await database.committedWhenIdle()) - before;
}

/**
 * PostgreSQL transactions per GET /api/me/: a server's life with `requests` calls, less the
 * transactions of a life with none (start and stop: migrations check, signing keys). Counting
 * over whole lives is what makes it exact: PostgreSQL holds back a busy backend's statistics for
 * up to 10 s, but sends them when the backend exits. Whatever the server does by the clock while
 * the requests run (a second or two) counts in too.
 */
async function countMeTransactions(database: BenchDatabase, access: string, requests: number): Promise<TransactionCount> {
  const withoutRequests = await transactionsOverServerLife(database, async () => undefined);
  const forRequests = (await transactionsOverServerLife(database, (url) => callMe(url, access, requests))) - withoutRequests;
  return { requests, forRequests, withoutRequests, perRequest: forRequests / requests };
}

/**
 * GET /api/me/ and POST /api/token/refresh/ (rotation off) on Gatehouse with SQLite, Gatehouse
 * with a fresh PostgreSQL database, and bare node:http, one worker each, for `durationSeconds`
 * each in alternating turns; then the transaction count on the PostgreSQL database, which is
 * dropped at the end.
 *
 * @example
 * const { rows, transactions } = await benchStores({ durationSeconds: 10, transactionRequests: 3000 });
 */
export async function benchStores(options: StoreBenchOptions): Promise<StoreBenchResult> {
  const database = await createBenchDatabase();
  const servers: BenchServer[] = [];
  try {
    const sqlite = await startGatehouse({ workers: 1 });
    servers.push(sqlite);
    const postgres = await startGatehouse({ workers: 1, env: { GATEHOUSE_DATABASE_URL: database.url } });
    servers.push(postgres);
    const bare = await startBare(1);
    servers.push(bare);
    await sleep(1000);

    // Each store signs its own tokens with its own keys, so each server gets its own requests.
    const sqliteEndpoints = benchEndpoints(await signUpAndLogIn(sqlite.url));
    const postgresEndpoints = benchEndpoints(await signUpAndLogIn(postgres.url));
    const me = endpointOf(sqliteEndpoints, 'me');
    await warmUp(me, me.path, [sqlite, bare]);
    await warmUp(endpointOf(postgresEndpoints, 'me'), me.path, [postgres]);

    const rows: StoreBenchRow[] = [];
    for (const key of ENDPOINTS) {
      const onSqlite = endpointOf(sqliteEndpoints, key);
      const onPostgres = endpointOf(postgresEndpoints, key);
      const [sqliteFigures, postgresFigures, bareFigures] = await alternateLoad(onSqlite, options.durationSeconds, [
        { url: `${sqlite.url}${onSqlite.path}`, pids: sqlite.workerPids },
        { url: `${postgres.url}${onPostgres.path}`, pids: postgres.workerPids, request: onPostgres, backendPids: () => database.backendPids() },
        { url: `${bare.url}${onSqlite.path}`, pids: bare.workerPids },
      ]);
      rows.push({ endpoint: onSqlite.name, sqlite: sqliteFigures, postgres: postgresFigures, bare: bareFigures });
    }

    // A token minted now, so it is young for the count below however long the loads took.
    const { access } = await signUpAndLogIn(postgres.url);
    // Stopped before counting: the count needs every connection to the database closed.
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    return { rows, transactions: await countMeTransactions(database, access, options.transactionRequests) };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await database.drop();
  }
}
