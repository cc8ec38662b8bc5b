// Frozen: never edit an applied migration, add a new file instead. Imports kysely only.
import { PostgresAdapter, sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * PostgreSQL: a login (refresh family) notifies only when what the session check reads of it
 * changes (its revocation, its owner) or when it is deleted, no longer on every refresh, which
 * since 0003 updates its last use: each notification reaches every serving process of every node.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`drop trigger refresh_families_session_change on refresh_families`.execute(db);
  await sql`
    create trigger refresh_families_session_change after update on refresh_families
    for each row when (old.revoked_at is distinct from new.revoked_at or old.user_id is distinct from new.user_id)
    execute function gatehouse_notify_session_change('user_id')`.execute(db);
  await sql`
    create trigger refresh_families_session_delete after delete on refresh_families
    for each row execute function gatehouse_notify_session_change('user_id')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`drop trigger refresh_families_session_delete on refresh_families`.execute(db);
  await sql`drop trigger refresh_families_session_change on refresh_families`.execute(db);
  await sql`
    create trigger refresh_families_session_change after update or delete on refresh_families
    for each row execute function gatehouse_notify_session_change('user_id')`.execute(db);
}
