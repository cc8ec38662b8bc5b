import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { GatehouseError } from '../errors.js';
import { createKyselyStore } from './kysely-store.js';
import { advisoryLock } from './postgres/advisory-lock.js';
import { openPostgresKysely } from './postgres/postgres-kysely.js';
import { listenForSessionChanges } from './postgres/session-change-listener.js';
import type { SessionStateView } from './session-state-view.js';
import { openSqliteKysely } from './sqlite/sqlite-kysely.js';
import { tableLock } from './sqlite/table-lock.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** `postgres://…`, `postgresql://…`, `sqlite:/abs/file.db`, `sqlite::memory:`; undefined = SQLite in `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** Where the default SQLite file `gatehouse.sqlite3` lives (created, mode 0700). */
  readonly dataDir: string;
  /** PostgreSQL pool size (default 10). */
  readonly poolSize?: number;
  /**
   * Connect and query timeout (PostgreSQL), busy wait for another process's lock (SQLite), in
   * ms; default 2 s. Past it the store throws `service_unavailable`.
   */
  readonly timeoutMs?: number;
  /**
   * Keep a session-state view in this process, answering for at most this many ms after a read
   * (see session-state-view.ts), fed by LISTEN (PostgreSQL) or a file watch (SQLite).
   * Undefined or 0: read the database on every check (the CLI, migrations).
   */
  readonly sessionStateMaxAgeMs?: number;
  /** Told when the change notifications stop (false) and resume (true), for one log line each. */
  readonly onSessionChannel?: (live: boolean) => void;
}

const DEFAULT_POOL_SIZE = 10;
const DEFAULT_TIMEOUT_MS = 2_000;
/** How often the LISTEN connection proves itself, at most (never less often than the age bound). */
const LONGEST_HEARTBEAT_MS = 5_000;
const SHORTEST_HEARTBEAT_MS = 250;
const SQLITE_FILE_NAME = 'gatehouse.sqlite3';

function badUrl(): GatehouseError {
  // Never echo the URL: it may carry a password.
  return new GatehouseError('config_invalid', 'GATEHOUSE_DATABASE_URL must be postgres://… or sqlite:…');
}

function sqliteFileFrom(databaseUrl: string): string {
  const rest = databaseUrl.slice('sqlite:'.length);
  if (rest === ':memory:' || rest === '//:memory:') return ':memory:';
  // sqlite:///abs/file.db and sqlite:/abs/file.db both name /abs/file.db.
  const file = rest.startsWith('///') ? rest.slice(2) : rest;
  if (file === '' || file.startsWith('//')) throw badUrl();
  return path.resolve(file);
}

function openSqliteStore(file: string, options: OpenStoreOptions): Store {
  const { db, syncReads, signal } = openSqliteKysely(file, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const maxAgeMs = options.sessionStateMaxAgeMs ?? 0;
  if (maxAgeMs <= 0) return createKyselyStore(db, 'sqlite', tableLock(db), { syncReads });
  const feed = (view: SessionStateView) => {
    view.setLive(signal.watching);
    const unsubscribe = signal.subscribe((event) => {
      if (event === 'lost') {
        view.setLive(false);
        options.onSessionChannel?.(false);
      } else view.changed();
    });
    return async (): Promise<void> => void unsubscribe();
  };
  return createKyselyStore(db, 'sqlite', tableLock(db), { syncReads, sessionState: { maxAgeMs, feed } });
}

function openPostgresStore(databaseUrl: string, options: OpenStoreOptions): Store {
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 2) {
    // withLock holds one connection while its callback needs another.
    throw new GatehouseError('config_invalid', 'The PostgreSQL pool size must be an integer of at least 2.');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const db = openPostgresKysely(databaseUrl, poolSize, timeoutMs);
  const maxAgeMs = options.sessionStateMaxAgeMs ?? 0;
  if (maxAgeMs <= 0) return createKyselyStore(db, 'postgres', advisoryLock(db));
  const heartbeatMs = Math.min(LONGEST_HEARTBEAT_MS, Math.max(SHORTEST_HEARTBEAT_MS, maxAgeMs));
  const feed = (view: SessionStateView) => {
    const listener = listenForSessionChanges({
      connectionString: databaseUrl,
      view,
      timeoutMs,
      heartbeatMs,
      ...(options.onSessionChannel === undefined ? {} : { onStateChange: options.onSessionChannel }),
    });
    return () => listener.close();
  };
  return createKyselyStore(db, 'postgres', advisoryLock(db), { sessionState: { maxAgeMs, feed } });
}

/**
 * Opens the store named by the database URL. Does not migrate: call `migrate()` (the primary
 * process does, before workers start). Close it with `close()`.
 *
 * @example
 * const store = await openStore({ databaseUrl: undefined, dataDir: './data' });
 * await store.migrate();
 * const user = await store.findUserByUsername('alice');
 * await store.close();
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const { databaseUrl } = options;
  if (databaseUrl === undefined) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    return openSqliteStore(path.join(options.dataDir, SQLITE_FILE_NAME), options);
  }
  if (databaseUrl.startsWith('sqlite:')) {
    const file = sqliteFileFrom(databaseUrl);
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    return openSqliteStore(file, options);
  }
  if (databaseUrl.startsWith('postgres://') || databaseUrl.startsWith('postgresql://')) {
    return openPostgresStore(databaseUrl, options);
  }
  throw badUrl();
}
