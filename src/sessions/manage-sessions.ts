import { GatehouseError } from '../errors.js';
import type { ClientInfo, SessionRecord, User } from '../store/store.js';
import type { SessionContext } from './session-context.js';

/** Who ends a session: its owner (from a client) or an admin. */
export interface SessionActor {
  readonly client: ClientInfo;
  readonly admin?: Pick<User, 'id' | 'username'>;
}

const SESSION_ID = /^[A-Za-z0-9_-]{1,100}$/;

function notFound(): GatehouseError {
  return new GatehouseError('not_found', 'Not found.');
}

/** A user's live logins, newest first. */
export function listSessions(ctx: SessionContext, userId: number): Promise<SessionRecord[]> {
  return ctx.store.listSessions(userId, ctx.clock());
}

/**
 * Ends one login at once (its refresh and access tokens are refused). With `ownerId`, only that
 * user's login: anyone else's, like an unknown id, is 404, so ids cannot be probed.
 */
export async function endSession(ctx: SessionContext, sessionId: string, by: SessionActor & { ownerId?: number }): Promise<void> {
  // Session ids are UUIDs: anything else (a NUL, which PostgreSQL refuses in text) is no session.
  if (!SESSION_ID.test(sessionId)) throw notFound();
  const ended = await ctx.store.revokeSession(sessionId, ctx.clock(), by.ownerId);
  if (ended === undefined) throw notFound();
  ctx.audit.record({
    event: 'session_revoked',
    userId: ended.userId,
    sessionId: ended.id,
    client: by.client,
    ...(by.admin === undefined ? {} : { actorId: by.admin.id, actorUsername: by.admin.username }),
  });
}

/** Ends every login of the user but the one asking. */
export async function endOtherSessions(ctx: SessionContext, user: User, keepSessionId: string, client: ClientInfo): Promise<void> {
  const count = await ctx.store.revokeOtherSessions(user.id, keepSessionId, ctx.clock());
  if (count > 0) ctx.audit.record({ event: 'session_revoked', userId: user.id, username: user.username, sessionId: keepSessionId, reason: 'all_others', client });
}
