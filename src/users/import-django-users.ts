import { GatehouseError, isGatehouseError } from '../errors.js';
import type { Store } from '../store/store.js';
import { isCheckableHash } from './password-hasher.js';

export interface ImportReport {
  readonly imported: number;
  readonly skippedExisting: readonly string[];
  /** Imported, but their hash format cannot be checked: they must set a new password. */
  readonly needPasswordReset: readonly string[];
}

function parseTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Imports users from Django's `manage.py dumpdata auth.user` JSON: username, password hash,
 * is_active, last_login and date_joined. Existing usernames are left alone. Django hashes are
 * kept as they are and replaced by argon2id at each user's first successful login.
 */
export async function importDjangoUsers(store: Store, dump: unknown, now: number): Promise<ImportReport> {
  if (!Array.isArray(dump)) throw new GatehouseError('invalid', 'Expected the JSON array written by `manage.py dumpdata auth.user`.');
  const skippedExisting: string[] = [];
  const needPasswordReset: string[] = [];
  let imported = 0;
  for (const [index, entry] of dump.entries()) {
    const record = entry as { model?: unknown; fields?: Record<string, unknown> } | null;
    if (record?.model !== 'auth.user' || typeof record.fields !== 'object' || record.fields === null) continue;
    const { username, password, is_active: isActive, last_login: lastLogin, date_joined: dateJoined } = record.fields;
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw new GatehouseError('invalid', `Entry ${index} has no username or password field.`);
    }
    try {
      await store.createUser({
        username,
        passwordHash: password,
        isActive: isActive !== false,
        lastLogin: parseTime(lastLogin),
        dateJoined: parseTime(dateJoined) ?? now,
      });
      imported++;
      if (!isCheckableHash(password)) needPasswordReset.push(username);
    } catch (error) {
      if (isGatehouseError(error) && error.code === 'username_taken') skippedExisting.push(username);
      else throw error;
    }
  }
  return { imported, skippedExisting, needPasswordReset };
}
