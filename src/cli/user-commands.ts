import type { Config } from '../config/schema.js';
import { GatehouseError } from '../errors.js';
import { openStore } from '../store/open-store.js';
import type { Store, User } from '../store/store.js';
import { readFile } from 'node:fs/promises';
import { createUser, setPassword } from '../users/create-user.js';
import { importDjangoUsers } from '../users/import-django-users.js';
import { PasswordHasher } from '../users/password-hasher.js';
import type { ParsedArguments } from './arguments.js';
import { readPassword } from './read-password.js';

const COMMAND_TIMEOUT_MS = 10 * 60_000;

/** Opens the configured store, migrated, for one command. */
export async function withStore<T>(config: Config, run: (store: Store) => Promise<T>): Promise<T> {
  // A command may migrate a big database: a generous timeout, unlike a request's.
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeoutMs: COMMAND_TIMEOUT_MS });
  try {
    await store.migrate();
    return await run(store);
  } finally {
    await store.close();
  }
}

function hasherFor(config: Config): PasswordHasher {
  return new PasswordHasher({ memoryKib: config.argon2MemoryKib, iterations: config.argon2Iterations, parallelism: config.argon2Parallelism });
}

async function existingUser(store: Store, username: string | undefined): Promise<User> {
  if (username === undefined) throw new GatehouseError('invalid', 'a username is required');
  const user = await store.findUserByUsername(username);
  if (user === undefined) throw new GatehouseError('user_not_found', 'No such user.');
  return user;
}

function formatTime(epochMs: number | null): string {
  return epochMs === null ? '-' : new Date(epochMs).toISOString();
}

/** `gatehouse users add|set-password|deactivate|activate|list|claims|import`. */
export async function userCommand(config: Config, args: ParsedArguments, out: (line: string) => void): Promise<void> {
  const [, action, username] = args.positionals;
  const fromStdin = args.flags.get('password-stdin') === true;
  const context = (store: Store) => ({ store, hasher: hasherFor(config), passwordMinLength: config.passwordMinLength, clock: Date.now });
  switch (action) {
    case 'add':
      return withStore(config, async (store) => {
        if (username === undefined) throw new GatehouseError('invalid', 'a username is required');
        const user = await createUser(context(store), username, await readPassword(fromStdin));
        out(`Created user ${user.username} (id ${user.id}).`);
      });
    case 'set-password':
      return withStore(config, async (store) => {
        const user = await existingUser(store, username);
        await setPassword(context(store), user, await readPassword(fromStdin));
        out(`Password changed for ${user.username}; their sessions were revoked.`);
      });
    case 'deactivate':
    case 'activate':
      return withStore(config, async (store) => {
        const user = await existingUser(store, username);
        await store.setUserActive(user.id, action === 'activate', Date.now());
        out(action === 'activate' ? `Activated ${user.username}.` : `Deactivated ${user.username}; their sessions were revoked.`);
      });
    case 'list':
      return withStore(config, async (store) => {
        const users = await store.listUsers();
        if (args.flags.get('json') === true) {
          out(JSON.stringify(users.map((u) => ({ id: u.id, username: u.username, is_active: u.isActive, last_login: formatTime(u.lastLogin), date_joined: formatTime(u.dateJoined) }))));
          return;
        }
        out(['ID', 'USERNAME', 'ACTIVE', 'LAST LOGIN', 'JOINED'].join('\t'));
        for (const u of users) out([u.id, u.username, u.isActive ? 'yes' : 'no', formatTime(u.lastLogin), formatTime(u.dateJoined)].join('\t'));
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
      throw new GatehouseError('invalid', 'usage: gatehouse users add|set-password|deactivate|activate|list|claims|import …');
  }
}
