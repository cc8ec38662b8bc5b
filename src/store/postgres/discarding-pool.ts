import type { Pool, PoolClient } from 'pg';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import { isDatabaseUnavailable } from '../database-errors.js';

/**
 * The pool as kysely sees it, except that a client whose query failed because the connection
 * is gone or timed out is destroyed on release instead of going back to the pool. kysely
 * releases clients without saying why, and node-postgres keeps a client whose query timed out
 * with that query still pending: reused, it would make every later query on it time out too.
 */
export function discardingPool(pool: Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client: PoolClient = await pool.connect();
      let broken: Error | undefined;
      const noteFailure = (error: unknown): never => {
        if (isDatabaseUnavailable(error)) broken = error instanceof Error ? error : new Error('database unavailable');
        throw error;
      };
      // A connection lost while checked out is reported as an 'error' event too (its query fails
      // with the same error): unheard, that event would crash the process.
      const onError = (error: Error): void => {
        broken = error;
      };
      client.on('error', onError);
      return {
        query: ((text: unknown, parameters?: readonly unknown[]) => {
          const result = client.query(text as string, parameters as unknown[]) as unknown;
          // A cursor (kysely's streaming) is returned as is; a promise is watched.
          return result instanceof Promise ? result.catch(noteFailure) : result;
        }) as PostgresPoolClient['query'],
        release: () => {
          client.off('error', onError);
          client.release(broken);
        },
      };
    },
    end: () => pool.end(),
  };
}
