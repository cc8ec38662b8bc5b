import type { Store, User } from '../store/store.js';
import type { PasswordHasher } from './password-hasher.js';
import { validateNewCredentials } from './validate-credentials.js';

export interface CreateUserContext {
  readonly store: Store;
  readonly hasher: PasswordHasher;
  readonly passwordMinLength: number;
  readonly clock: () => number;
}

/** Creates an account (registration and `gatehouse users add`); the username must be new. */
export async function createUser(ctx: CreateUserContext, username: string, password: string): Promise<User> {
  validateNewCredentials(username, password, ctx.passwordMinLength);
  const passwordHash = await ctx.hasher.hash(password);
  return ctx.store.createUser({ username, passwordHash, dateJoined: ctx.clock() });
}

/** Sets a new password; every login of the user is revoked in the same step. */
export async function setPassword(ctx: CreateUserContext, user: User, password: string): Promise<void> {
  validateNewCredentials(user.username, password, ctx.passwordMinLength);
  await ctx.store.setPasswordHash(user.id, await ctx.hasher.hash(password), { revokeSessions: true, now: ctx.clock() });
}
