import type Database from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';

/** Returned when a read cannot be answered synchronously now; go through kysely instead. */
export const NOT_NOW: unique symbol = Symbol('not now');

/**
 * Point reads answered synchronously on the store's own connection (better-sqlite3 is
 * synchronous anyway), so that the per-request session check needs no promise and no queue.
 */
export interface SyncReads {
  /**
   * The first row of the query `query()` builds, as `map` makes it. NOT_NOW while this connection
   * is inside a transaction: its own uncommitted writes must not be served.
   */
  first<R, T>(query: () => CompiledQuery<R>, map: (row: R | undefined) => T): T | typeof NOT_NOW;
}

export function createSyncReads(database: Database.Database, prepare: (sql: string) => Database.Statement): SyncReads {
  return {
    first<R, T>(query: () => CompiledQuery<R>, map: (row: R | undefined) => T): T | typeof NOT_NOW {
      if (database.inTransaction) return NOT_NOW;
      const { sql, parameters } = query();
      return map(prepare(sql).get(parameters as unknown[]) as R | undefined);
    },
  };
}
