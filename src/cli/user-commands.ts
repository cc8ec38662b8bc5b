import type { Config } from '../config/schema.js';
import { GatehouseError } from '../errors.js';
import { openStore } from '../store/open-store.js';
import type { Store, User } from '../store/store.js';
import { readFile } from 'node:fs/promises';
import { AuditTrail } from '../audit/audit-trail.js';
import { createUser, setActive, setPassword } from '../users/create-user.js';
import { validUsername } from '../users/validate-credentials.js';
import { importDjangoUsers } from '../users/import-django-users.js';
import { PasswordHasher } from '../users/password-hasher.js';
import type { ParsedArguments } from './arguments.js';
import { readPassword } from './read-password.js';

const COMMAND_TIMEOUT_MS = 10 * 60_000;

/** What the command did is recorded in the audit trail as done by this actor. */
const CLI_ACTOR = { actorUsername: 'cli' } as const;

/**
 * Opens the configured store, migrated, for one command, with an audit trail whose events are
 * written before the store closes.
 */
export async function withStore<T>(config: Config, run: (store: Store, audit: AuditTrail) => Promise<T>): Promise<T> {
  // A command may migrate a big database: a generous timeout, unlike a request's.
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeoutMs: COMMAND_TIMEOUT_MS });
  const audit = new AuditTrail({ store, clock: Date.now });
  try {
    await store.migrate();
    return await run(store, audit);
  } finally {
    await audit.close();
    await store.close();
  }
}

function hasherFor(config: Config): PasswordHasher {
  return new PasswordHasher({ memoryKib: config.argon2MemoryKib, iterations: config.argon2Iterations, parallelism: config.argon2Parallelism });
}

async function existingUser(store: Store, username: string | undefined): Promise<User> {
  if (username === undefined) throw new GatehouseError('invalid', 'a username is required');
  // Stored names are NFKC (ａlice is alice); a name stored before that is found as typed.
  const user = (await store.findUserByUsername(validUsername(username) ?? username)) ?? (await store.findUserByUsername(username));
  if (user === undefined) throw new GatehouseError('user_not_found', 'No such user.');
  return user;
}

function formatTime(epochMs: number | null): string {
  return epochMs === null ? '-' : new Date(epochMs).toISOString();
}

/** `on` or `off`, as `users admin NAME on|off` takes it. */
function onOff(value: string | undefined): boolean {
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new GatehouseError('invalid', 'usage: gatehouse users admin <name> on|off');
}

/** `gatehouse users add|set-password|deactivate|activate|admin|list|claims|import`. */
export async function userCommand(config: Config, args: ParsedArguments, out: (line: string) => void): Promise<void> {
  const [, action, username] = args.positionals;
  const fromStdin = args.flags.get('password-stdin') === true;
  const context = (store: Store, audit: AuditTrail) => ({ store, hasher: hasherFor(config), passwordMinLength: config.passwordMinLength, clock: Date.now, audit });
  switch (action) {
    case 'add':
      return withStore(config, async (store, audit) => {
        if (username === undefined) throw new GatehouseError('invalid', 'a username is required');
        const isAdmin = args.flags.get('admin') === true;
        const user = await createUser(context(store, audit), username, await readPassword(fromStdin), { ...CLI_ACTOR, isAdmin });
        out(`Created ${isAdmin ? 'admin ' : ''}user ${user.username} (id ${user.id}).`);
      });
    case 'set-password':
      return withStore(config, async (store, audit) => {
        const user = await existingUser(store, username);
        await setPassword(context(store, audit), user, await readPassword(fromStdin), CLI_ACTOR);
        out(`Password changed for ${user.username}; their sessions were revoked.`);
      });
    case 'deactivate':
    case 'activate':
      return withStore(config, async (store, audit) => {
        const user = await existingUser(store, username);
        await setActive(context(store, audit), user, action === 'activate', CLI_ACTOR);
        out(action === 'activate' ? `Activated ${user.username}.` : `Deactivated ${user.username}; their sessions were revoked.`);
      });
    case 'admin':
      return withStore(config, async (store, audit) => {
        const user = await existingUser(store, username);
        const isAdmin = onOff(args.positionals[3]);
        await store.setUserAdmin(user.id, isAdmin);
        audit.record({ event: 'admin_changed', userId: user.id, username: user.username, reason: isAdmin ? 'granted' : 'revoked', ...CLI_ACTOR });
        out(isAdmin ? `${user.username} is now an admin.` : `${user.username} is no longer an admin.`);
      });
    case 'list':
      return withStore(config, async (store) => {
        const users = await store.listUsers();
        if (args.flags.get('json') === true) {
          // As the API shows them: a user who never logged in has last_login null, not the table's "-".
          const isoTime = (epochMs: number | null) => (epochMs === null ? null : new Date(epochMs).toISOString());
          out(JSON.stringify(users.map((u) => ({ id: u.id, username: u.username, is_active: u.isActive, is_admin: u.isAdmin, last_login: isoTime(u.lastLogin), date_joined: isoTime(u.dateJoined) }))));
          return;
        }
        out(['ID', 'USERNAME', 'ACTIVE', 'ADMIN', 'LAST LOGIN', 'JOINED'].join('\t'));
        for (const u of users) out([u.id, u.username, u.isActive ? 'yes' : 'no', u.isAdmin ? 'yes' : 'no', formatTime(u.lastLogin), formatTime(u.dateJoined)].join('\t'));
      });
    case 'claims':
      return withStore(config, async (store) => {
        const user = await existingUser(store, username);
        const text = args.positionals[3];
        let claims: unknown;
        try {
          claims = JSON.parse(text ?? '');
        } catch {
          claims = undefined;
        }
        if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
          throw new GatehouseError('invalid', 'usage: gatehouse users claims <name> \'{"roles": ["admin"]}\' (a JSON object)');
        }
        await store.setCustomClaims(user.id, claims as Record<string, unknown>);
        out(`Custom claims of ${user.username} set; they appear in access tokens issued from now on.`);
      });
    case 'import':
      return withStore(config, async (store) => {
        if (username === undefined) throw new GatehouseError('invalid', 'usage: gatehouse users import <dumpdata.json>');
        let dump: unknown;
        try {
          dump = JSON.parse(await readFile(username, 'utf8'));
        } catch {
          throw new GatehouseError('invalid', 'Cannot read that file as JSON.');
        }
        const report = await importDjangoUsers(store, dump, Date.now());
        out(`Imported ${report.imported} users; ${report.skippedExisting.length} already existed.`);
        if (report.needPasswordReset.length > 0) {
          out(`These users' hash format cannot be checked and need a new password (gatehouse users set-password): ${report.needPasswordReset.join(', ')}`);
        }
      });
    default:
      throw new GatehouseError('invalid', 'usage: gatehouse users add|set-password|deactivate|activate|admin|list|claims|import …');
  }
}
