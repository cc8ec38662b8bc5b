import { GatehouseError, isGatehouseError } from '../errors.js';
import type { Store } from '../store/store.js';
import { isCheckableHash } from './password-hasher.js';
import { validUsername } from './validate-credentials.js';

export interface ImportReport {
  readonly imported: number;
  readonly skippedExisting: readonly string[];
  /** Imported, but their hash format cannot be checked: they must set a new password. */
  readonly needPasswordReset: readonly string[];
}

interface DjangoUser {
  readonly username: string;
  readonly password: string;
  readonly isActive: boolean;
  readonly lastLogin: number | null;
  readonly dateJoined: number | null;
}

/** How many refused entries an error names. */
const NAMED_IN_ERROR = 10;

function parseTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * The `auth.user` entries of a dump, usernames in their stored (NFKC) form. Throws, before
 * anything is imported, when an entry lacks a field or has a username Gatehouse refuses.
 */
function readDjangoUsers(dump: unknown[]): DjangoUser[] {
  const users: DjangoUser[] = [];
  const refused: string[] = [];
  for (const [index, entry] of dump.entries()) {
    const record = entry as { model?: unknown; fields?: Record<string, unknown> } | null;
    if (record?.model !== 'auth.user' || typeof record.fields !== 'object' || record.fields === null) continue;
    const { username, password, is_active: isActive, last_login: lastLogin, date_joined: dateJoined } = record.fields;
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw new GatehouseError('invalid', `Entry ${index} has no username or password field.`);
    }
    const name = validUsername(username);
    if (name === undefined) refused.push(`entry ${index} (${JSON.stringify(username.slice(0, 160))})`);
    else users.push({ username: name, password, isActive: isActive !== false, lastLogin: parseTime(lastLogin), dateJoined: parseTime(dateJoined) });
  }
  if (refused.length > 0) {
    const named = refused.slice(0, NAMED_IN_ERROR).join(', ') + (refused.length > NAMED_IN_ERROR ? `, and ${refused.length - NAMED_IN_ERROR} more` : '');
    throw new GatehouseError(
      'invalid',
      `Nothing was imported: ${refused.length} usernames are not valid (at most 150 letters, digits and @/./+/-/_, after NFKC normalisation): ${named}.`,
    );
  }
  return users;
}

/**
 * Imports users from Django's `manage.py dumpdata auth.user` JSON: username, password hash,
 * is_active, last_login and date_joined. Usernames are normalised (NFKC) as Django and sign-up
 * do; existing usernames are left alone. Django hashes are kept as they are and replaced by
 * argon2id at each user's first successful login.
 */
export async function importDjangoUsers(store: Store, dump: unknown, now: number): Promise<ImportReport> {
  if (!Array.isArray(dump)) throw new GatehouseError('invalid', 'Expected the JSON array written by `manage.py dumpdata auth.user`.');
  const skippedExisting: string[] = [];
  const needPasswordReset: string[] = [];
  let imported = 0;
  for (const { username, password, isActive, lastLogin, dateJoined } of readDjangoUsers(dump)) {
    try {
      await store.createUser({ username, passwordHash: password, isActive, lastLogin, dateJoined: dateJoined ?? now });
      imported++;
      if (!isCheckableHash(password)) needPasswordReset.push(username);
    } catch (error) {
      if (isGatehouseError(error) && error.code === 'username_taken') skippedExisting.push(username);
      else throw error;
    }
  }
  return { imported, skippedExisting, needPasswordReset };
}
