import { setTimeout as sleep } from 'node:timers/promises';
import { Migrator } from 'kysely';
import type { Kysely } from 'kysely';
import { GatehouseError } from '../errors.js';
import { isSqliteBusy } from './database-errors.js';
import { MIGRATIONS } from './migrations/index.js';

const BUSY_RETRIES = 20;

/**
 * Applies pending migrations. PostgreSQL: kysely's migrator holds an advisory lock inside one
 * transaction. SQLite: the whole run is one `BEGIN IMMEDIATE` transaction (see sqlite-kysely.ts);
 * a process that waited past busy_timeout for another's migration simply tries again.
 */
export async function runMigrations(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ ...MIGRATIONS }) } });
  for (let attempt = 0; ; attempt += 1) {
    const { error } = await migrator.migrateToLatest();
    if (error === undefined) return;
    if (isSqliteBusy(error) && attempt < BUSY_RETRIES) {
      await sleep(50 + Math.floor(Math.random() * 100));
      continue;
    }
    throw new GatehouseError('internal_error', 'Database migration failed.', { cause: error });
  }
}

/** True when every known migration is recorded as applied; throws when the database is unreachable. */
export async function migrationsApplied(db: Kysely<unknown>): Promise<boolean> {
  const rows = await db
    .withTables<{ kysely_migration: { name: string } }>()
    .selectFrom('kysely_migration')
    .select('name')
    .execute();
  const applied = new Set(rows.map((row) => row.name));
  return Object.keys(MIGRATIONS).every((name) => applied.has(name));
}
