import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';
import type { RunWithNamedLock } from '../named-lock.js';

/**
 * A session-level `pg_advisory_lock` held on one dedicated pooled connection for the duration
 * of `fn` (so `fn` itself needs another connection: pool size must be at least 2). PostgreSQL
 * frees the lock by itself if this process dies.
 */
export function advisoryLock(db: Kysely<DatabaseSchema>): RunWithNamedLock {
  return async function withAdvisoryLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return db.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(hashtext(${name}))`.execute(connection);
      try {
        return await fn();
      } finally {
        await sql`select pg_advisory_unlock(hashtext(${name}))`.execute(connection);
      }
    });
  };
}
