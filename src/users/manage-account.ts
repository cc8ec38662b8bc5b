import { validationError } from '../errors.js';
import type { ClientInfo, User } from '../store/store.js';
import type { CreateUserContext } from './create-user.js';
import { validateNewPassword } from './validate-credentials.js';

/**
 * Djoser's answer to a wrong current password. The hash is read from the database, not from the
 * request's (possibly remembered) session state, so a password changed a moment ago counts.
 */
async function requireCurrentPassword(ctx: CreateUserContext, userId: number, password: string): Promise<User> {
  const user = await ctx.store.findUserById(userId);
  const check = user === undefined ? undefined : await ctx.hasher.check(user.passwordHash, password);
  if (user === undefined || check?.matches !== true) throw validationError({ current_password: ['Invalid password.'] });
  return user;
}

/**
 * A user changes their own password: every other login ends at once, the one that asked
 * (`keepFamilyId`) keeps working.
 *
 * @example
 * await changeOwnPassword(ctx, user.id, claims.sid, 'old password', 'new password', client);
 */
export async function changeOwnPassword(ctx: CreateUserContext, userId: number, keepFamilyId: string, current: string, next: string, client: ClientInfo): Promise<void> {
  const user = await requireCurrentPassword(ctx, userId, current);
  await validateNewPassword(next, ctx.passwordMinLength, 'new_password', user.username);
  await ctx.store.setPasswordHash(user.id, await ctx.hasher.hash(next), { revokeSessions: true, keepFamilyId, now: ctx.clock() });
  ctx.audit.record({ event: 'password_changed', userId: user.id, username: user.username, sessionId: keepFamilyId, client });
}

/** A user closes their own account: it is deactivated (kept for the audit trail) and every login ends. */
export async function deleteOwnAccount(ctx: CreateUserContext, userId: number, current: string, client: ClientInfo): Promise<void> {
  const user = await requireCurrentPassword(ctx, userId, current);
  await ctx.store.setUserActive(user.id, false, ctx.clock());
  ctx.audit.record({ event: 'user_deactivated', userId: user.id, username: user.username, reason: 'self', client });
}
