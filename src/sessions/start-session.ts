import type { ClientInfo, User } from '../store/store.js';
import { newJti } from '../tokens/claims.js';
import { newRefreshRecord, signFor } from './issue-tokens.js';
import type { SessionContext, TokenPair } from './session-context.js';

/**
 * Starts a login session (a refresh family) for an authenticated user, recording where it was
 * made from, and returns its first access and refresh tokens.
 */
export async function startSession(ctx: SessionContext, user: User, client: ClientInfo): Promise<Required<TokenPair>> {
  const now = ctx.clock();
  const familyId = ctx.randomUUID();
  const record = newRefreshRecord(ctx, user.id, familyId, now);
  await ctx.store.startFamily(record, client);
  ctx.audit.record({ event: 'login_succeeded', userId: user.id, username: user.username, sessionId: familyId, client });
  const access = signFor(ctx, 'access', user, familyId, newJti(ctx.randomUUID), now);
  const refresh = signFor(ctx, 'refresh', user, familyId, record.jti, now);
  return { refresh, access }; // simplejwt's order
}
