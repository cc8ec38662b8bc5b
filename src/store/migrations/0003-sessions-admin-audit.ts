// Frozen: never edit an applied migration, add a new file instead. Imports kysely only.
import { PostgresAdapter } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Sessions people can see (where and when each login was last used), retry-safe rotation (each
 * used refresh token names its successor), an admin flag on users, and the audit trail.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;

  await db.schema.alterTable('refresh_families').addColumn('last_used_at', 'bigint').execute();
  await db.schema.alterTable('refresh_families').addColumn('user_agent', 'text').execute();
  await db.schema.alterTable('refresh_families').addColumn('ip', 'text').execute();
  await db.schema.alterTable('refresh_tokens').addColumn('replaced_by', 'text').execute();
  await db.schema.alterTable('users').addColumn('is_admin', 'integer', (col) => col.notNull().defaultTo(0)).execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', postgres ? 'bigint' : 'integer', (col) =>
      postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
    )
    .addColumn('at', 'bigint', (col) => col.notNull())
    .addColumn('event', 'text', (col) => col.notNull())
    // No foreign keys: the trail outlives what it mentions.
    .addColumn('user_id', 'integer')
    .addColumn('username', 'text')
    .addColumn('session_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('actor_id', 'integer')
    .addColumn('actor_username', 'text')
    .addColumn('reason', 'text')
    .execute();
  await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
  await db.schema.createIndex('audit_events_user_id_at').on('audit_events').columns(['user_id', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_events').execute();
  await db.schema.alterTable('users').dropColumn('is_admin').execute();
  await db.schema.alterTable('refresh_tokens').dropColumn('replaced_by').execute();
  for (const column of ['ip', 'user_agent', 'last_used_at']) await db.schema.alterTable('refresh_families').dropColumn(column).execute();
}
