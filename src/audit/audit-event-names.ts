/**
 * Every audit event Gatehouse records. Names are API contract (the admin API and
 * `gatehouse audit` filter by them): once shipped, never renamed.
 */
export const AUDIT_EVENTS = [
  'login_succeeded',
  'login_failed',
  'token_refreshed',
  'refresh_reuse_detected',
  'logout',
  'logout_all',
  'session_revoked',
  'password_changed',
  'user_created',
  'user_deactivated',
  'user_activated',
  'admin_changed',
] as const;

export type AuditEventName = (typeof AUDIT_EVENTS)[number];

/** Why a login failed, as `login_failed` records it (never shown to the client, who sees one answer). */
export type LoginFailure = 'unknown_user' | 'wrong_password' | 'inactive' | 'rate_limited';

export function isAuditEventName(value: string): value is AuditEventName {
  return (AUDIT_EVENTS as readonly string[]).includes(value);
}
