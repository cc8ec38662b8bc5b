import type { Generated } from 'kysely';

/**
 * The tables as kysely sees them (created by `migrations/`). Times are epoch ms (INTEGER in
 * SQLite, BIGINT in PostgreSQL); booleans are 0/1 integers so both dialects bind the same values.
 * Rows read back are still narrowed by the mappers, since `pg` may hand back BIGINTs as strings.
 */
export interface DatabaseSchema {
  users: UsersTable;
  refresh_families: RefreshFamiliesTable;
  refresh_tokens: RefreshTokensTable;
  signing_keys: SigningKeysTable;
  gatehouse_locks: LocksTable;
  audit_events: AuditEventsTable;
}

export interface UsersTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  is_active: number;
  last_login: number | null;
  date_joined: number;
  custom_claims: string;
  is_admin: Generated<number>;
}

export interface RefreshFamiliesTable {
  id: string;
  user_id: number;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  user_agent: string | null;
  ip: string | null;
}

export interface RefreshTokensTable {
  jti: string;
  family_id: string;
  user_id: number;
  issued_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
  /** The successor's jti, once this token was rotated. */
  replaced_by: string | null;
}

export interface SigningKeysTable {
  kid: string;
  algorithm: string;
  public_jwk: string;
  private_key: string;
  created_at: number;
  activates_at: number;
  deactivated_at: number | null;
  retires_at: number | null;
}

export interface LocksTable {
  name: string;
  holder: string;
  acquired_at: number;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: number;
  event: string;
  user_id: number | null;
  username: string | null;
  session_id: string | null;
  ip: string | null;
  user_agent: string | null;
  actor_id: number | null;
  actor_username: string | null;
  reason: string | null;
}
