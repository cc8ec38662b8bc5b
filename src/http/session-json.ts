import type { SessionRecord, User } from '../store/store.js';

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

/** A login as `GET /api/sessions/` shows it; `current` marks the caller's own. */
export function sessionJson(session: SessionRecord, currentId: string | undefined): Record<string, unknown> {
  return {
    id: session.id,
    created_at: iso(session.createdAt),
    last_used_at: iso(session.lastUsedAt),
    user_agent: session.userAgent,
    ip: session.ip,
    current: session.id === currentId,
  };
}

/** A user as the admin API shows it: never the hash or the custom claims. */
export function adminUserJson(user: User): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    is_active: user.isActive,
    is_admin: user.isAdmin,
    last_login: user.lastLogin === null ? null : iso(user.lastLogin),
    date_joined: iso(user.dateJoined),
  };
}
