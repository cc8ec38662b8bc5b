// What recording the audit trail costs on the login path: the same server with GATEHOUSE_AUDIT=on
// and =off, one worker each, loaded in alternating turns. With it on, every login and refresh
// queues an event and the worker writes the queue in batches (up to 200 events, every 200 ms), so
// the write is off the request path but not off the worker: its CPU per request includes it (and,
// on PostgreSQL, the database backends' CPU holds the rest of each INSERT).
import {
  alternateLoad,
  benchEndpoints,
  signUpAndLogIn,
  sleep,
  startGatehouse,
  warmUp,
  type BenchServer,
  type Endpoint,
  type EndpointKey,
  type LoadFigures,
  type LoadTarget,
} from './cluster-bench.js';
import { createBenchDatabase, type BenchDatabase } from './postgres-database.js';

export type AuditStore = 'SQLite' | 'PostgreSQL';

export interface AuditBenchRow {
  readonly endpoint: string;
  readonly store: AuditStore;
  readonly on: LoadFigures;
  readonly off: LoadFigures;
}

export interface AuditBenchOptions {
  /** Seconds per endpoint and server for the cheap-hash login and for refresh. */
  readonly durationSeconds: number;
  /** Seconds per server for login at the default (OWASP) argon2 cost; 0 leaves that row out. */
  readonly owaspLoginSeconds: number;
  /** Also measure on PostgreSQL (a fresh database for each of the two servers). */
  readonly postgres: boolean;
}

/**
 * argon2 at its floor. At the OWASP cost a login spends tens of ms of CPU in the hash, so an audit
 * cost of microseconds would vanish in its noise; with this, the rest of the login path (session
 * row, signing, audit event) is what the figures measure. No login rate limit: the load is one
 * client replaying one login, which the limit exists to stop.
 */
const CHEAP_HASHING = { GATEHOUSE_ARGON2_MEMORY_KIB: '1024', GATEHOUSE_ARGON2_ITERATIONS: '1', GATEHOUSE_LOGIN_RATE_LIMIT: '0' };
/** The defaults, spelled out so that a GATEHOUSE_ARGON2_* in the bench's own environment cannot change what the row says. */
const OWASP_HASHING = { GATEHOUSE_ARGON2_MEMORY_KIB: '19456', GATEHOUSE_ARGON2_ITERATIONS: '2', GATEHOUSE_LOGIN_RATE_LIMIT: '0' };

/** One server of a pair: its own requests, since each server signs tokens with its own keys. */
interface Side {
  readonly server: BenchServer;
  readonly endpoints: readonly Endpoint[];
  readonly database: BenchDatabase | undefined;
}

interface Pair {
  readonly store: AuditStore;
  readonly on: Side;
  readonly off: Side;
}

function endpointOf(side: Side, key: EndpointKey): Endpoint {
  const endpoint = side.endpoints.find((candidate) => candidate.key === key);
  if (endpoint === undefined) throw new Error(`no ${key} endpoint`);
  return endpoint;
}

function targetOf(side: Side, key: EndpointKey): LoadTarget {
  const endpoint = endpointOf(side, key);
  const database = side.database;
  return {
    url: `${side.server.url}${endpoint.path}`,
    pids: side.server.workerPids,
    request: endpoint,
    ...(database === undefined ? {} : { backendPids: () => database.backendPids() }),
  };
}

/**
 * Like Promise.all, but settles every promise first: a server that fails to start must not leave
 * the others still starting, unseen by the cleanup.
 */
async function allSettled<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

/** Everything this section starts, kept so that all of it is stopped and dropped, also on failure. */
class Fleet {
  readonly #servers: BenchServer[] = [];
  readonly #databases: BenchDatabase[] = [];

  /**
   * An audit-on and an audit-off server (one worker) on `store` with `env`, started at once (each
   * spends most of its start waiting). On PostgreSQL each gets a database of its own, so that its
   * backends, and their CPU time, are its own.
   */
  async pair(store: AuditStore, env: Readonly<Record<string, string>>): Promise<Pair> {
    const [on, off] = await allSettled([this.#side(store, env, 'on'), this.#side(store, env, 'off')]);
    if (on === undefined || off === undefined) throw new Error('a server is missing');
    return { store, on, off };
  }

  async #side(store: AuditStore, env: Readonly<Record<string, string>>, audit: 'on' | 'off'): Promise<Side> {
    let database: BenchDatabase | undefined;
    if (store === 'PostgreSQL') {
      database = await createBenchDatabase();
      this.#databases.push(database);
    }
    const server = await startGatehouse({
      workers: 1,
      env: { ...env, GATEHOUSE_AUDIT: audit, ...(database === undefined ? {} : { GATEHOUSE_DATABASE_URL: database.url }) },
    });
    this.#servers.push(server);
    return { server, endpoints: benchEndpoints(await signUpAndLogIn(server.url)), database };
  }

  async stop(): Promise<void> {
    await Promise.all(this.#servers.map((server) => server.stop()));
    await Promise.all(this.#databases.map((database) => database.drop()));
  }
}

/**
 * Loads `key` on every server of `pairs` in one set of alternating turns, so that a busy spell on
 * the shared machine hits on and off (and both stores) alike. A batch still queued when a turn
 * ends is written in that server's next turn (or not within any, after the last): at most 200 ms
 * of events per turn, the same on every turn, so it shifts little and only what is between turns.
 */
async function measure(pairs: readonly Pair[], key: EndpointKey, durationSeconds: number, label: string): Promise<AuditBenchRow[]> {
  const sides = pairs.flatMap((pair) => [pair.on, pair.off]);
  const first = sides[0];
  if (first === undefined) return [];
  const figures = await alternateLoad(endpointOf(first, key), durationSeconds, sides.map((side) => targetOf(side, key)));
  return pairs.map((pair, index) => {
    const on = figures[2 * index];
    const off = figures[2 * index + 1];
    if (on === undefined || off === undefined) throw new Error('a load run is missing');
    return { endpoint: `${endpointOf(pair.on, key).name}${label}`, store: pair.store, on, off };
  });
}

/**
 * POST /api/token/ with argon2 at its floor and POST /api/token/refresh/ (rotation off, one token
 * replayed) with GATEHOUSE_AUDIT=on vs off, on SQLite (and PostgreSQL with `postgres`), for
 * `durationSeconds` each; then, with `owaspLoginSeconds`, POST /api/token/ at the default argon2
 * cost on SQLite, where the audit event is a fraction of a percent of a login.
 *
 * @example
 * const rows = await benchAudit({ durationSeconds: 10, owaspLoginSeconds: 10, postgres: true });
 */
export async function benchAudit(options: AuditBenchOptions): Promise<AuditBenchRow[]> {
  const stores: AuditStore[] = options.postgres ? ['SQLite', 'PostgreSQL'] : ['SQLite'];
  const fleet = new Fleet();
  try {
    // The OWASP pair has servers of its own: the argon2 cost is a server setting, and the user's
    // hash is made at sign-up. All start together; an idle server costs the others next to nothing.
    const pairs = await allSettled([
      ...stores.map((store) => fleet.pair(store, CHEAP_HASHING)),
      ...(options.owaspLoginSeconds > 0 ? [fleet.pair('SQLite', OWASP_HASHING)] : []),
    ]);
    const cheap = pairs.slice(0, stores.length);
    const owasp = pairs[stores.length];
    await sleep(1000);
    // A short warm-up on login, the path under test (hash, session row, signing, audit trail), all
    // at once: JIT needs requests, not a core to itself. Not the OWASP pair: native hashing is
    // nearly all of its work.
    const warming = cheap.flatMap((pair) => [pair.on, pair.off]);
    await Promise.all(warming.map((side) => warmUp(endpointOf(side, 'login'), '/api/token/', [side.server], 1)));
    return [
      ...(await measure(cheap, 'login', options.durationSeconds, ', argon2 1 MiB t=1')),
      ...(await measure(cheap, 'refresh', options.durationSeconds, '')),
      ...(owasp === undefined ? [] : await measure([owasp], 'login', options.owaspLoginSeconds, ', argon2 OWASP (19 MiB t=2)')),
    ];
  } finally {
    await fleet.stop();
  }
}
