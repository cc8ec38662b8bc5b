import type { Migration } from 'kysely';
import * as initial from './0001-initial.js';
import * as sessionChangeNotify from './0002-session-change-notify.js';
import * as sessionsAdminAudit from './0003-sessions-admin-audit.js';
import * as notifyOnlyRevocations from './0004-notify-only-revocations.js';

/**
 * Every migration, by name, in the order they apply. A static record (not a folder scan) so the
 * build needs no file-system lookups at run time; add new files here, never edit applied ones.
 *
 * @example
 * new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-initial': initial,
  '0002-session-change-notify': sessionChangeNotify,
  '0003-sessions-admin-audit': sessionsAdminAudit,
  '0004-notify-only-revocations': notifyOnlyRevocations,
});
