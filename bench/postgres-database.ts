// A fresh PostgreSQL database for one benchmark section, and what PostgreSQL itself says about
// it: its backend processes (for their CPU time) and its committed transactions.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const ADMIN_URL = process.env['GATEHOUSE_BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  /** `gatehouse_bench_<hex>`. */
  readonly name: string;
  /** For GATEHOUSE_DATABASE_URL. */
  readonly url: string;
  /** The backend processes serving connections to this database now. */
  backendPids(): Promise<readonly number[]>;
  /**
   * `xact_commit` of this database once no connection to it is left. A backend sends its
   * statistics at most once a second, and an idle one only after 10 s, but always when it exits;
   * so the count is exact only with every client gone, which is why this waits for that.
   */
  committedWhenIdle(): Promise<number>;
  /** Drops the database (WITH (FORCE): connections left over are closed) and the admin connection. */
  drop(): Promise<void>;
}

/**
 * Creates `gatehouse_bench_<hex>` through the admin URL (GATEHOUSE_BENCH_POSTGRES_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres). Always `drop()` it.
 *
 * @example
 * const database = await createBenchDatabase();
 * try { … GATEHOUSE_DATABASE_URL: database.url … } finally { await database.drop(); }
 */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`the benchmark needs PostgreSQL at ${new URL(ADMIN_URL).host} (set GATEHOUSE_BENCH_POSTGRES_URL): ${String(error)}`);
  }
  const name = `gatehouse_bench_${randomBytes(6).toString('hex')}`;
  try {
    // The name is generated hex, safe to splice; identifiers cannot be bind parameters.
    await admin.query(`CREATE DATABASE "${name}"`);
  } catch (error) {
    await admin.end();
    throw error;
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;

  const connections = async (): Promise<number> =>
    Number((await admin.query<{ count: string }>('SELECT count(*) AS count FROM pg_stat_activity WHERE datname = $1', [name])).rows[0]?.count ?? 0);
  const committed = async (): Promise<number> => {
    // A fresh snapshot: within one session PostgreSQL may answer from a cached one.
    await admin.query('SELECT pg_stat_clear_snapshot()');
    const result = await admin.query<{ xact_commit: string }>('SELECT xact_commit FROM pg_stat_database WHERE datname = $1', [name]);
    return Number(result.rows[0]?.xact_commit ?? 0);
  };

  return {
    name,
    url: url.toString(),
    async backendPids() {
      const result = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name]);
      return result.rows.map((row) => row.pid);
    },
    async committedWhenIdle() {
      const deadline = Date.now() + 20_000;
      while ((await connections()) > 0) {
        if (Date.now() > deadline) throw new Error(`connections to ${name} are still open`);
        await sleep(50);
      }
      // A backend leaves pg_stat_activity about when it flushes its statistics: read until steady.
      let previous = await committed();
      for (;;) {
        await sleep(200);
        const now = await committed();
        if (now === previous) return now;
        previous = now;
      }
    },
    async drop() {
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
