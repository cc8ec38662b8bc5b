import * as path from 'node:path';
import { createTestDatabase } from './databases.js';
import { spawnServer, type SpawnedServer } from './spawn-server.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** The stores several nodes can share: one PostgreSQL database, or one SQLite file on one machine. */
export type SharedStore = 'postgres' | 'sqlite';
export const SHARED_STORES: readonly SharedStore[] = Object.freeze(['postgres', 'sqlite'] as const);

export interface SharedDatabase {
  readonly store: SharedStore;
  /** `GATEHOUSE_DATABASE_URL` for every node: through the proxy when there is one. */
  readonly url: string;
  /** PostgreSQL reached through a {@link TcpProxy} (`throughProxy`): cut it for an outage. */
  readonly proxy: TcpProxy | undefined;
  /** The SQLite file every node opens (SQLite only). */
  readonly sqliteFile: string | undefined;
  /** Closes the proxy, drops the database or removes the file. Stop the nodes first. Idempotent. */
  drop(): Promise<void>;
}

/**
 * A fresh database for several nodes: a new PostgreSQL database (optionally behind a proxy the
 * test can cut) or a SQLite file in a new temporary directory, named by a `sqlite:` URL.
 *
 * @example
 * const database = await createSharedDatabase('postgres', { throughProxy: true });
 * const nodes = await startTwoNodes(database, { GATEHOUSE_SESSION_STATE_MAX_AGE: '1s' });
 * database.proxy?.cut('refuse');
 */
export async function createSharedDatabase(store: SharedStore, options: { throughProxy?: boolean } = {}): Promise<SharedDatabase> {
  const database = await createTestDatabase(store);
  if (store === 'sqlite' || database.databaseUrl === undefined) {
    const sqliteFile = path.join(database.dataDir, 'gatehouse.sqlite3');
    return { store, url: `sqlite:${sqliteFile}`, proxy: undefined, sqliteFile, drop: () => database.drop() };
  }
  const url = new URL(database.databaseUrl);
  let proxy: TcpProxy | undefined;
  if (options.throughProxy === true) {
    try {
      proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    } catch (error) {
      await database.drop();
      throw error;
    }
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
  }
  return {
    store,
    url: url.toString(),
    proxy,
    sqliteFile: undefined,
    async drop() {
      await proxy?.close();
      await database.drop();
    },
  };
}

export interface TwoNodes {
  readonly a: SpawnedServer;
  readonly b: SpawnedServer;
  /** Stops both nodes (SIGTERM, then SIGKILL after a bound). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts two `gatehouse serve` nodes, two workers each, at the same time on one shared database
 * (so their migrations and first signing key race, as they would in a deployment), with the
 * login and sign-up limits off. `env` comes last and overrides anything.
 */
export async function startTwoNodes(database: SharedDatabase, env: Record<string, string> = {}): Promise<TwoNodes> {
  // spawnServer turns the abuse limits off; the per-username login limit is ours to turn off.
  const nodeEnv = { GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_WORKERS: '2', GATEHOUSE_LOGIN_RATE_LIMIT: '0', ...env };
  const started = await Promise.allSettled([spawnServer(nodeEnv), spawnServer(nodeEnv)]);
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  const [a, b] = servers;
  if (failed !== undefined || a === undefined || b === undefined) {
    await Promise.all(servers.map((server) => server.stop()));
    throw failed?.reason instanceof Error ? failed.reason : new Error('startTwoNodes: a node did not start');
  }
  return { a, b, stop: async () => void (await Promise.all([a.stop(), b.stop()])) };
}
