import { Pool, types } from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';
import { discardingPool } from './discarding-pool.js';

const INT8_OID = 20;

/** Epoch-ms BIGINTs fit a double exactly; parse them as numbers for this pool only (no global pg state). */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return types.getTypeParser(oid, format as 'text') as (value: string) => unknown;
  },
};

/**
 * Opens a `pg` pool (nothing connects until the first query). `timeoutMs` bounds connecting,
 * waiting for a pooled connection, and each query, so an unreachable database fails a request
 * in bounded time (503) instead of hanging it. Idle-connection errors (for example a database
 * restart) are absorbed here: the pool drops that client and the next query reconnects,
 * instead of the unhandled 'error' event killing the process.
 */
export function openPostgresKysely(connectionString: string, poolSize: number, timeoutMs: number): Kysely<DatabaseSchema> {
  const pool = new Pool({
    connectionString,
    max: poolSize,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'gatehouse',
    types: typeParsers,
  });
  pool.on('error', () => {});
  return new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool: discardingPool(pool) }) });
}
