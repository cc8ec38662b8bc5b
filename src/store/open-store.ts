import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { GatehouseError } from '../errors.js';
import { createKyselyStore } from './kysely-store.js';
import { advisoryLock } from './postgres/advisory-lock.js';
import { openPostgresKysely } from './postgres/postgres-kysely.js';
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
}

const DEFAULT_POOL_SIZE = 10;
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

function openSqliteStore(file: string): Store {
  const { db, cachedReads } = openSqliteKysely(file);
  return createKyselyStore(db, 'sqlite', tableLock(db), cachedReads);
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
    return openSqliteStore(path.join(options.dataDir, SQLITE_FILE_NAME));
  }
  if (databaseUrl.startsWith('sqlite:')) {
    const file = sqliteFileFrom(databaseUrl);
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    return openSqliteStore(file);
  }
  if (databaseUrl.startsWith('postgres://') || databaseUrl.startsWith('postgresql://')) {
    const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
    if (!Number.isInteger(poolSize) || poolSize < 2) {
      // withLock holds one connection while its callback needs another.
      throw new GatehouseError('config_invalid', 'The PostgreSQL pool size must be an integer of at least 2.');
    }
    const db = openPostgresKysely(databaseUrl, poolSize);
    return createKyselyStore(db, 'postgres', advisoryLock(db));
  }
  throw badUrl();
}
