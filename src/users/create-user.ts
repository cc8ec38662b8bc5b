import type { AuditRecorder } from '../audit/audit-trail.js';
import type { ClientInfo, Store, User } from '../store/store.js';
import type { PasswordHasher } from './password-hasher.js';
import { validateNewCredentials, validateNewPassword } from './validate-credentials.js';

export interface CreateUserContext {
  readonly store: Store;
  readonly hasher: PasswordHasher;
  readonly passwordMinLength: number;
  readonly clock: () => number;
  readonly audit: AuditRecorder;
}

/** Who caused an account change: a request's client, or an operator (`cli`) or admin. */
export interface ChangeOrigin {
  readonly client?: ClientInfo;
  readonly actorId?: number;
  readonly actorUsername?: string;
}

/**
 * Creates an account (registration and `gatehouse users add`); the username is stored in its
 * NFKC form and must be new in that form.
 */
export async function createUser(ctx: CreateUserContext, username: string, password: string, origin: ChangeOrigin & { isAdmin?: boolean } = {}): Promise<User> {
  const name = await validateNewCredentials(username, password, ctx.passwordMinLength);
  const passwordHash = await ctx.hasher.hash(password);
  const { isAdmin, ...by } = origin;
  const user = await ctx.store.createUser({ username: name, passwordHash, dateJoined: ctx.clock(), ...(isAdmin === true ? { isAdmin } : {}) });
  ctx.audit.record({ event: 'user_created', userId: user.id, username: user.username, ...by });
  return user;
}

/** Sets a new password (an operator's reset); every login of the user is revoked in the same step. */
export async function setPassword(ctx: CreateUserContext, user: User, password: string, origin: ChangeOrigin = {}): Promise<void> {
  await validateNewPassword(password, ctx.passwordMinLength, 'password', user.username);
  await ctx.store.setPasswordHash(user.id, await ctx.hasher.hash(password), { revokeSessions: true, now: ctx.clock() });
  ctx.audit.record({ event: 'password_changed', userId: user.id, username: user.username, ...origin });
}

/** Activates or deactivates an account (deactivating ends every login), recording who did it. */
export async function setActive(ctx: Pick<CreateUserContext, 'store' | 'clock' | 'audit'>, user: User, isActive: boolean, origin: ChangeOrigin & { reason?: string }): Promise<void> {
  await ctx.store.setUserActive(user.id, isActive, ctx.clock());
  ctx.audit.record({ event: isActive ? 'user_activated' : 'user_deactivated', userId: user.id, username: user.username, ...origin });
}
