import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';
import type { RunWithNamedLock } from '../named-lock.js';

const POLL_MS = 25;
/** A holder that died without releasing (SIGKILL) loses the lock after this long. */
const STALE_AFTER_MS = 60_000;
/** The live holder refreshes its row well within the staleness window. */
const HEARTBEAT_MS = 15_000;

/**
 * A lock as a row of `gatehouse_locks`: whoever inserts the row (or takes over a stale one)
 * holds it; the others poll. The single upsert is atomic under SQLite's write lock, across
 * processes.
 */
export function tableLock(db: Kysely<DatabaseSchema>): RunWithNamedLock {
  async function tryAcquire(name: string, holder: string): Promise<boolean> {
    const now = Date.now();
    const row = await db
      .insertInto('gatehouse_locks')
      .values({ name, holder, acquired_at: now })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ holder, acquired_at: now })
          .where('gatehouse_locks.acquired_at', '<', now - STALE_AFTER_MS),
      )
      .returning('holder')
      .executeTakeFirst();
    return row?.holder === holder;
  }

  return async function withTableLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const holder = randomUUID();
    while (!(await tryAcquire(name, holder))) await sleep(POLL_MS);
    const heartbeat = setInterval(() => {
      db.updateTable('gatehouse_locks')
        .set({ acquired_at: Date.now() })
        .where('name', '=', name)
        .where('holder', '=', holder)
        .execute()
        .catch(() => {}); // a missed beat only matters after 60 s; the next one retries
    }, HEARTBEAT_MS);
    heartbeat.unref();
    try {
      return await fn();
    } finally {
      clearInterval(heartbeat);
      await db.deleteFrom('gatehouse_locks').where('name', '=', name).where('holder', '=', holder).execute();
    }
  };
}
