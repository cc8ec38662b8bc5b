// Frozen: never edit an applied migration, add a new file instead. Imports kysely only.
import { PostgresAdapter, sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * PostgreSQL: every change to a user row or a login (refresh family) notifies the channel
 * `gatehouse_session_state` with the user's id, from a trigger, so the notification is part of
 * the changing transaction (delivered only if, and once, it commits) and no code path can
 * forget it. Every serving process LISTENs and drops what it remembers of that user.
 * SQLite needs nothing: its processes watch the database file instead.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`
    create function gatehouse_notify_session_change() returns trigger language plpgsql as $$
    begin
      -- tg_argv[0] names the row's user id column: id in users, user_id in refresh_families.
      perform pg_notify('gatehouse_session_state', to_jsonb(old) ->> tg_argv[0]);
      return null;
    end
    $$`.execute(db);
  // After the row changed, once per row; identical notifications in one transaction are folded.
  await sql`
    create trigger users_session_change after update or delete on users
    for each row execute function gatehouse_notify_session_change('id')`.execute(db);
  await sql`
    create trigger refresh_families_session_change after update or delete on refresh_families
    for each row execute function gatehouse_notify_session_change('user_id')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`drop trigger refresh_families_session_change on refresh_families`.execute(db);
  await sql`drop trigger users_session_change on users`.execute(db);
  await sql`drop function gatehouse_notify_session_change()`.execute(db);
}
