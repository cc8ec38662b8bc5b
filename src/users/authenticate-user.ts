import type { AuditRecorder } from '../audit/audit-trail.js';
import type { LoginFailure } from '../audit/audit-event-names.js';
import { GatehouseError } from '../errors.js';
import type { ClientInfo, Store, User } from '../store/store.js';
import type { PasswordHasher } from './password-hasher.js';
import { PASSWORD_MAX, usernameForRecords, validUsername } from './validate-credentials.js';

export interface UserContext {
  readonly store: Store;
  readonly hasher: PasswordHasher;
  readonly updateLastLogin: boolean;
  readonly clock: () => number;
  readonly audit: AuditRecorder;
}

/** simplejwt's one answer for every failed login: unknown user, wrong password, inactive user. */
export function noActiveAccount(): GatehouseError {
  return new GatehouseError('no_active_account', 'No active account found with the given credentials', {
    body: { detail: 'No active account found with the given credentials' },
  });
}

/**
 * The account a login names: by the stored (NFKC) form of the name, then as typed, for accounts
 * stored before names were normalised. A name no account can have is not looked up.
 */
async function findAccount(store: Store, username: string): Promise<User | undefined> {
  const name = validUsername(username);
  if (name === undefined) return undefined;
  return (await store.findUserByUsername(name)) ?? (name === username ? undefined : store.findUserByUsername(username));
}

/**
 * Checks a username and password. Every failure costs one password check and answers alike: an
 * unknown username, or one no account can have (Django's rule after NFKC, so `ａlice` finds
 * `alice`), is checked against a dummy hash, as is a password longer than any new one may be.
 * On success an outdated hash (imported from Django, or older argon2 parameters) is replaced,
 * and last_login is recorded.
 */
export async function authenticateUser(ctx: UserContext, username: string, password: string, client: ClientInfo): Promise<User> {
  const failed = (reason: LoginFailure, user?: User): GatehouseError => {
    ctx.audit.record({ event: 'login_failed', userId: user?.id ?? null, username: user?.username ?? usernameForRecords(username), reason, client });
    return noActiveAccount();
  };
  const user = await findAccount(ctx.store, username);
  if (user === undefined) {
    await ctx.hasher.checkDummy(password.slice(0, PASSWORD_MAX));
    throw failed('unknown_user');
  }
  if (password.length > PASSWORD_MAX) {
    await ctx.hasher.checkDummy(password.slice(0, PASSWORD_MAX));
    throw failed('wrong_password', user);
  }
  const check = await ctx.hasher.check(user.passwordHash, password);
  if (!check.matches) throw failed('wrong_password', user);
  if (!user.isActive) throw failed('inactive', user);
  const now = ctx.clock();
  if (check.needsRehash) {
    await ctx.store.setPasswordHash(user.id, await ctx.hasher.hash(password), { revokeSessions: false, now });
  }
  if (ctx.updateLastLogin) await ctx.store.recordLogin(user.id, now);
  return user;
}
