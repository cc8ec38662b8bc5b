import type { FastifyRequest } from 'fastify';
import { GatehouseError } from '../errors.js';
import type { User } from '../store/store.js';
import type { AppContext } from './app-context.js';
import { checkedFirst, type CheckedFirst } from './checked-first.js';
import { requireAccessToken } from './require-access-token.js';

/**
 * The caller, if an active admin. The flag is read from the database on every call (not from
 * the session-state view), so revoking it takes effect on the next request.
 */
export async function requireAdmin(ctx: AppContext, request: FastifyRequest): Promise<User> {
  const { user } = await requireAccessToken(ctx.sessions, request);
  const current = await ctx.store.findUserById(user.id);
  if (current === undefined || !current.isActive || !current.isAdmin) {
    throw new GatehouseError('permission_denied', 'You do not have permission to perform this action.');
  }
  return current;
}

/** The caller must be an active admin (see requireAdmin), before anything else; the handler gets the admin from `.of(request)`. */
export function adminCheck(ctx: AppContext): CheckedFirst<User> {
  return checkedFirst('checkAdmin', (request) => requireAdmin(ctx, request));
}
