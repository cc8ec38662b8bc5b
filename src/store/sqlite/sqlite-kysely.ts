import Database from 'better-sqlite3';
import { chmodSync, existsSync } from 'node:fs';
import { CompiledQuery, Kysely, SqliteAdapter, SqliteDialect, SqliteDriver } from 'kysely';
import type { DatabaseConnection, Driver, SqliteDatabase, SqliteDialectConfig, SqliteStatement } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';
import { changeSignalFor, type ChangeSignal } from './change-signal.js';
import { createSyncReads, type SyncReads } from './sync-reads.js';

const STATEMENT_CACHE_LIMIT = 256;
const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** A FIFO async mutex. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Resolves once the mutex is ours, with the function that releases it. */
  lock(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const acquired = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => held);
    return acquired;
  }
}

/**
 * One mutex per file for every store in this process. better-sqlite3 is synchronous: if a second
 * connection in the same process waited on SQLite's busy handler for the first one's write lock,
 * it would block the very event loop the first one needs to commit. Other processes just wait.
 */
const fileMutexes = new Map<string, Mutex>();

function mutexFor(filename: string): Mutex {
  let mutex = fileMutexes.get(filename);
  if (mutex === undefined) {
    mutex = new Mutex();
    fileMutexes.set(filename, mutex);
  }
  return mutex;
}

/**
 * Every transaction starts with `BEGIN IMMEDIATE`, taking SQLite's write lock up front: several
 * worker processes share the file, and a deferred transaction that reads then writes fails with
 * SQLITE_BUSY (no busy wait) when another process wrote in between.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #fileMutex: Mutex;
  #release: (() => void) | undefined;

  constructor(config: SqliteDialectConfig, fileMutex: Mutex) {
    super(config);
    this.#fileMutex = fileMutex;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.#fileMutex.lock();
    const connection = await super.acquireConnection();
    this.#release = release;
    return connection;
  }

  override async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    await super.releaseConnection();
    release?.();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite DDL is transactional, so the migrator may run every migration inside one
 * `BEGIN IMMEDIATE` transaction: that write lock is what serialises concurrent migrating processes.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class GatehouseSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #fileMutex: Mutex;

  constructor(config: SqliteDialectConfig, fileMutex: Mutex) {
    super(config);
    this.#config = config;
    this.#fileMutex = fileMutex;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config, this.#fileMutex);
  }

  override createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * Reuses prepared statements by SQL text (kysely's driver would prepare on every query), and
 * moves the change signal whenever a statement may change what readers see: a write, or any
 * statement inside a transaction (its COMMIT is what publishes the writes).
 */
function withStatementCache(database: Database.Database, signal: ChangeSignal) {
  const cache = new Map<string, Database.Statement>();
  const prepare = (sqlText: string): Database.Statement => {
    let statement = cache.get(sqlText);
    if (statement === undefined) {
      if (cache.size >= STATEMENT_CACHE_LIMIT) cache.clear();
      statement = database.prepare(sqlText);
      cache.set(sqlText, statement);
    }
    if (!statement.readonly || database.inTransaction) signal.bump();
    return statement;
  };
  const forKysely: SqliteDatabase = {
    close: () => {
      signal.release();
      database.close();
    },
    prepare: (sqlText) => prepare(sqlText) as unknown as SqliteStatement,
  };
  return { forKysely, prepare };
}

export interface SqliteKysely {
  readonly db: Kysely<DatabaseSchema>;
  /** Point reads answered synchronously (see sync-reads.ts). */
  readonly syncReads: SyncReads;
  /** Tells when the file may have changed, in this process or another (see change-signal.ts). */
  readonly signal: ChangeSignal;
}

/**
 * Opens a SQLite file (or `:memory:`) for the store: WAL (readers never block the writer),
 * synchronous=NORMAL (durable across a process crash), a bounded busy wait for other processes'
 * write locks (then SQLITE_BUSY, which the store answers as 503), and foreign keys on. A new file is made private to its owner (0600).
 */
export function openSqliteKysely(filename: string, busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS): SqliteKysely {
  const isNewFile = filename !== ':memory:' && !existsSync(filename);
  const database = new Database(filename);
  try {
    // Before WAL is on, so the -wal/-shm files SQLite creates copy the private mode.
    if (isNewFile) chmodSync(filename, 0o600);
    // Bounded: better-sqlite3 waits synchronously, so the whole worker waits with it.
    database.pragma(`busy_timeout = ${busyTimeoutMs}`);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
  } catch (error) {
    database.close();
    throw error;
  }
  // Each in-memory database is private to its connection, so it needs no shared mutex.
  const fileMutex = filename === ':memory:' ? new Mutex() : mutexFor(filename);
  const signal = changeSignalFor(filename);
  const statements = withStatementCache(database, signal);
  const db = new Kysely<DatabaseSchema>({
    dialect: new GatehouseSqliteDialect({ database: statements.forKysely }, fileMutex),
  });
  return { db, syncReads: createSyncReads(database, statements.prepare), signal };
}
