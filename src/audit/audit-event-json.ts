import type { StoredAuditEvent } from '../store/store.js';

/** The event as the admin API shows it: snake_case, ISO time. */
export function auditEventJson(event: StoredAuditEvent): Record<string, unknown> {
  return {
    id: event.id,
    at: new Date(event.at).toISOString(),
    event: event.event,
    user_id: event.userId ?? null,
    username: event.username ?? null,
    session_id: event.sessionId ?? null,
    ip: event.ip ?? null,
    user_agent: event.userAgent ?? null,
    actor_id: event.actorId ?? null,
    actor_username: event.actorUsername ?? null,
    reason: event.reason ?? null,
  };
}
