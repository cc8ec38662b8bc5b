import type { AuditRecorder } from '../audit/audit-trail.js';
import type { LoginFailure } from '../audit/audit-event-names.js';
import { GatehouseError } from '../errors.js';
import type { ClientInfo, Store, User } from '../store/store.js';
import type { PasswordHasher } from './password-hasher.js';

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
 * Checks a username and password. An unknown username costs the same as a wrong password (a
 * dummy hash is checked) and all failures look alike. On success an outdated hash (imported
 * from Django, or older argon2 parameters) is replaced, and last_login is recorded.
 */
export async function authenticateUser(ctx: UserContext, username: string, password: string, client: ClientInfo): Promise<User> {
  const failed = (reason: LoginFailure, user?: User): GatehouseError => {
    ctx.audit.record({ event: 'login_failed', userId: user?.id ?? null, username: user?.username ?? username.slice(0, 150), reason, client });
    return noActiveAccount();
  };
  const user = await ctx.store.findUserByUsername(username);
  if (user === undefined) {
    await ctx.hasher.checkDummy(password);
    throw failed('unknown_user');
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
