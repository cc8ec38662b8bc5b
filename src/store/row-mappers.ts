import type { RefreshTokenRecord, SessionRecord, StoredAuditEvent, StoredSigningKey, User } from './store.js';

/** Rows are `unknown` at the boundary: `pg` may return BIGINT as text, SQLite returns numbers. */
type Row = Readonly<Record<string, unknown>>;

function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

function toNullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

function toText(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function parseClaims(text: unknown): Readonly<Record<string, unknown>> {
  const parsed: unknown = JSON.parse(toText(text));
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

/** SQLite answers a boolean expression with 0/1, PostgreSQL with true/false. */
export function toBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't';
}

export function userFromRow(row: Row): User {
  return {
    id: toNumber(row['id']),
    username: toText(row['username']),
    passwordHash: toText(row['password_hash']),
    isActive: toBoolean(row['is_active']),
    lastLogin: toNullableNumber(row['last_login']),
    dateJoined: toNumber(row['date_joined']),
    customClaims: parseClaims(row['custom_claims']),
    isAdmin: toBoolean(row['is_admin']),
  };
}

function toNullableText(value: unknown): string | null {
  return value === null || value === undefined ? null : toText(value);
}

export function sessionFromRow(row: Row): SessionRecord {
  const createdAt = toNumber(row['created_at']);
  return {
    id: toText(row['id']),
    userId: toNumber(row['user_id']),
    createdAt,
    lastUsedAt: toNullableNumber(row['last_used_at']) ?? createdAt,
    expiresAt: toNumber(row['expires_at']),
    userAgent: toNullableText(row['user_agent']),
    ip: toNullableText(row['ip']),
  };
}

export function auditEventFromRow(row: Row): StoredAuditEvent {
  return {
    id: toNumber(row['id']),
    at: toNumber(row['at']),
    event: toText(row['event']),
    userId: toNullableNumber(row['user_id']),
    username: toNullableText(row['username']),
    sessionId: toNullableText(row['session_id']),
    ip: toNullableText(row['ip']),
    userAgent: toNullableText(row['user_agent']),
    actorId: toNullableNumber(row['actor_id']),
    actorUsername: toNullableText(row['actor_username']),
    reason: toNullableText(row['reason']),
  };
}

export function refreshTokenFromRow(row: Row): RefreshTokenRecord {
  return {
    jti: toText(row['jti']),
    familyId: toText(row['family_id']),
    userId: toNumber(row['user_id']),
    issuedAt: toNumber(row['issued_at']),
    expiresAt: toNumber(row['expires_at']),
  };
}

export function signingKeyFromRow(row: Row): StoredSigningKey {
  return {
    kid: toText(row['kid']),
    algorithm: toText(row['algorithm']),
    publicJwk: toText(row['public_jwk']),
    privateKey: toText(row['private_key']),
    createdAt: toNumber(row['created_at']),
    activatesAt: toNumber(row['activates_at']),
    deactivatedAt: toNullableNumber(row['deactivated_at']),
    retiresAt: toNullableNumber(row['retires_at']),
  };
}

export { toNumber, toNullableNumber };
