import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';

/** Every dialect the store supports; suites loop over these. */
export const DIALECTS: readonly ('sqlite' | 'postgres')[] = Object.freeze(['sqlite', 'postgres'] as const);

export interface TestDatabase {
  /** Pass to `openStore`: undefined for SQLite (the file goes in `dataDir`), a URL for PostgreSQL. */
  readonly databaseUrl: string | undefined;
  /** A fresh private temporary directory (both dialects). */
  readonly dataDir: string;
  /** Removes the directory and, for PostgreSQL, drops the database. Idempotent. */
  drop(): Promise<void>;
}

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

function adminUrl(): string {
  return process.env['GATEHOUSE_TEST_POSTGRES_URL'] ?? DEFAULT_ADMIN_URL;
}

async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty database for one test (or suite): SQLite in a new temp dir, or a new
 * PostgreSQL database `gatehouse_test_<hex>` created through the admin URL
 * (`GATEHOUSE_TEST_POSTGRES_URL`, default postgres@127.0.0.1:5432). Always `drop()` it.
 *
 * @example
 * const database = await createTestDatabase('postgres');
 * try {
 *   const store = await openStore(database);
 *   // …
 * } finally {
 *   await database.drop();
 * }
 */
export async function createTestDatabase(dialect: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-test-'));
  if (dialect === 'sqlite') {
    let dropped = false;
    return {
      databaseUrl: undefined,
      dataDir,
      async drop() {
        if (dropped) return;
        dropped = true;
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }

  const name = `gatehouse_test_${randomBytes(8).toString('hex')}`;
  try {
    // The name is generated hex, safe to splice; identifiers cannot be bind parameters.
    await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    databaseUrl: url.toString(),
    dataDir,
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}
