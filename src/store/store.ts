/**
 * The one storage contract of Gatehouse. It exposes behaviour, not tables; the SQLite and
 * PostgreSQL adapters implement it with the same kysely queries and pass one conformance suite
 * (test/store.test.ts). Times are epoch milliseconds. Nothing outside `store/` writes SQL.
 */

export interface User {
  readonly id: number;
  readonly username: string;
  /** The encoded password hash (argon2id PHC string, or a Django `pbkdf2_sha256$…` hash). */
  readonly passwordHash: string;
  readonly isActive: boolean;
  readonly lastLogin: number | null;
  readonly dateJoined: number;
  /** Extra claims written into this user's tokens (for example roles); a JSON object. */
  readonly customClaims: Readonly<Record<string, unknown>>;
  /** May use the admin API (checked against the database on every admin call). */
  readonly isAdmin: boolean;
}

export interface NewUser {
  readonly username: string;
  readonly passwordHash: string;
  readonly isActive?: boolean;
  readonly dateJoined: number;
  readonly lastLogin?: number | null;
  readonly customClaims?: Readonly<Record<string, unknown>>;
  readonly isAdmin?: boolean;
}

/** Where a login is used from: recorded at login, updated at each refresh. */
export interface ClientInfo {
  readonly userAgent: string | null;
  readonly ip: string | null;
}

/** One live login (a refresh family), as its owner and admins see it. */
export interface SessionRecord extends ClientInfo {
  readonly id: string;
  readonly userId: number;
  readonly createdAt: number;
  readonly lastUsedAt: number;
  readonly expiresAt: number;
}

/** One entry of the audit trail. Never a password, token or hash. */
export interface AuditEvent {
  readonly at: number;
  readonly event: string;
  readonly userId?: number | null;
  readonly username?: string | null;
  readonly sessionId?: string | null;
  readonly ip?: string | null;
  readonly userAgent?: string | null;
  /** The admin (or `cli`) who acted, for admin actions. */
  readonly actorId?: number | null;
  readonly actorUsername?: string | null;
  /** Why, where the event has a reason (a failed login's). */
  readonly reason?: string | null;
}

export interface StoredAuditEvent extends AuditEvent {
  readonly id: number;
}

export interface AuditFilter {
  readonly userId?: number;
  readonly event?: string;
  /** Epoch ms: events at or after. */
  readonly since?: number;
  readonly limit: number;
}

/** One issued refresh token. A family is every refresh token descending from one login. */
export interface RefreshTokenRecord {
  readonly jti: string;
  readonly familyId: string;
  readonly userId: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/**
 * What happened when a refresh token was presented for rotation.
 * - `rotated`: this caller won; the token is now used and `successor` (if given) is recorded.
 * - `retried`: the token was rotated less than the grace ago and its successor is still unused:
 *   the caller gets that same successor (a retry, or a concurrent request of the same client).
 * - `reused`: the token had already been rotated; its whole family is now revoked (theft).
 * - `revoked`: the token or its family was blacklisted (logout, password change, reuse).
 * - `expired`: past its expiry.
 * - `unknown`: never issued here (or flushed).
 */
export type ConsumeResult =
  | { readonly outcome: 'rotated'; readonly token: RefreshTokenRecord }
  | { readonly outcome: 'retried'; readonly token: RefreshTokenRecord; readonly successor: RefreshTokenRecord }
  | { readonly outcome: 'reused'; readonly token: RefreshTokenRecord }
  | { readonly outcome: 'revoked' | 'expired' | 'unknown' };

/** The state a refresh token or session is in, for verify and blacklist. */
export type RefreshTokenState = 'active' | 'used' | 'revoked' | 'expired' | 'unknown';

/** What an access-token check reads: shared between requests by the session-state view, so never mutated. */
export interface AuthState {
  readonly user: User;
  readonly familyActive: boolean;
}

/** A signing key as kept in the database. Private material may be encrypted (opaque here). */
export interface StoredSigningKey {
  readonly kid: string;
  readonly algorithm: string;
  /** Public JWK as JSON text (empty object for HMAC keys, which are never stored). */
  readonly publicJwk: string;
  /** Private JWK as JSON text, or an encrypted envelope of it. */
  readonly privateKey: string;
  readonly createdAt: number;
  /** Published in JWKS from `createdAt`; signs from `activatesAt`. */
  readonly activatesAt: number;
  /** Stops signing at this time (null = still the signing key when newest active). */
  readonly deactivatedAt: number | null;
  /** Removed from JWKS at this time (null = not scheduled). */
  readonly retiresAt: number | null;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';

  /** Applies pending migrations under the migrator's lock; safe to call from several processes. */
  migrate(): Promise<void>;
  /** True when the database answers and no migration is pending. */
  isReady(): Promise<boolean>;
  close(): Promise<void>;

  // Users

  /** Creates a user; throws `GatehouseError('username_taken')` when the username exists (exact match). */
  createUser(user: NewUser): Promise<User>;
  findUserById(id: number): Promise<User | undefined>;
  findUserByUsername(username: string): Promise<User | undefined>;
  listUsers(): Promise<User[]>;
  /**
   * Replaces the hash. With `revokeSessions`, every refresh family of the user is revoked in the
   * same transaction, except `keepFamilyId` if given (the login that changed the password).
   */
  setPasswordHash(userId: number, passwordHash: string, options: { revokeSessions: boolean; keepFamilyId?: string; now: number }): Promise<void>;
  setUserAdmin(userId: number, isAdmin: boolean): Promise<void>;
  /** Users whose name contains `search` (case-insensitive), by id, one page, with the total. */
  searchUsers(query: { search?: string; limit: number; offset: number }): Promise<{ count: number; users: User[] }>;
  /** Deactivating also revokes every family of the user, in one transaction. */
  setUserActive(userId: number, isActive: boolean, now: number): Promise<void>;
  recordLogin(userId: number, now: number): Promise<void>;
  setCustomClaims(userId: number, claims: Readonly<Record<string, unknown>>): Promise<void>;

  // Refresh tokens and their families (sessions)

  /** Starts a family (a login) and records its first refresh token, atomically. */
  startFamily(first: RefreshTokenRecord, client?: ClientInfo): Promise<void>;
  /** Records a refresh token issued without rotation being involved. */
  recordRefreshToken(token: RefreshTokenRecord): Promise<void>;
  /**
   * Marks the refresh token `jti` used and records `successor` in its family, atomically.
   * Under concurrency exactly one caller for a given `jti` gets `rotated`; every other caller
   * gets `retried` (within `graceMs` of the rotation, while the successor is unused: the same
   * successor), `reused` (and the family is revoked) or `revoked`. Never two valid successors.
   * The winner records `client` as where the login was last used.
   */
  consumeRefreshToken(jti: string, successor: RefreshTokenRecord | undefined, now: number, options?: { graceMs?: number; client?: ClientInfo }): Promise<ConsumeResult>;
  /**
   * The state of one refresh token (and its family). When several apply, `revoked` (token or
   * family) wins over `used`, and `used` over `expired`.
   */
  refreshTokenState(jti: string, now: number): Promise<RefreshTokenState>;
  /** Blacklists one refresh token and revokes its family. Returns the state it was in before. */
  revokeRefreshToken(jti: string, now: number): Promise<RefreshTokenState>;
  /** Revokes a family; its tokens and the access tokens bound to it stop working. */
  revokeFamily(familyId: string, now: number): Promise<void>;
  /** Revokes every family of a user (logout everywhere, password change). */
  revokeAllForUser(userId: number, now: number): Promise<void>;
  /** The user's live logins, newest first. */
  listSessions(userId: number, now: number): Promise<SessionRecord[]>;
  /**
   * Revokes one live login; with `ownerId`, only if it is that user's. Returns the login as it
   * was, or undefined when there is no such live login (for that owner).
   */
  revokeSession(familyId: string, now: number, ownerId?: number): Promise<SessionRecord | undefined>;
  /** Revokes every live login of the user but `keepFamilyId`; returns how many. */
  revokeOtherSessions(userId: number, keepFamilyId: string, now: number): Promise<number>;
  /**
   * What an access-token check needs: the user and whether the family (`sid` claim) is still
   * live; `familyActive` is false when revoked or unknown. A store opened with a session-state
   * view answers from this process's memory when it can, never with an answer whose read began
   * more than the view's max age ago (see session-state-view.ts); otherwise in one round trip.
   */
  authState(userId: number, familyId: string, now: number): Promise<AuthState | undefined>;
  /**
   * {@link authState} answered synchronously, when the adapter can: from the session-state view,
   * or (SQLite) a read of the embedded database, which is synchronous anyway. `undefined` when it
   * cannot now (not remembered on PostgreSQL, inside a transaction on SQLite) and when there is
   * no such user: ask `authState` then. Absent where it could never answer.
   */
  authStateNow?(userId: number, familyId: string): AuthState | undefined;
  /** Deletes refresh tokens and families expired before `now`; returns how many tokens went. */
  flushExpired(now: number): Promise<number>;

  // Audit trail

  /** Appends events (one statement for a batch). */
  recordAuditEvents(events: readonly AuditEvent[]): Promise<void>;
  /** Matching events, newest first. */
  listAuditEvents(filter: AuditFilter): Promise<StoredAuditEvent[]>;
  /** Deletes events older than `before`; returns how many. */
  deleteAuditEventsBefore(before: number): Promise<number>;

  // Signing keys

  listSigningKeys(): Promise<StoredSigningKey[]>;
  insertSigningKey(key: StoredSigningKey): Promise<void>;
  /** Sets `deactivatedAt`/`retiresAt` of a key. */
  scheduleSigningKey(kid: string, changes: { deactivatedAt?: number | null; retiresAt?: number | null }): Promise<void>;
  /** Deletes keys whose `retiresAt` has passed; returns their kids. */
  deleteRetiredSigningKeys(now: number): Promise<string[]>;
  /**
   * Runs `fn` while holding a named cross-process lock (for example first-start key
   * generation), so that only one process at a time does it. Not re-entrant: do not take the
   * same name again inside `fn`. A holder that dies frees the lock (PostgreSQL at once, SQLite
   * after 60 s).
   */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
}
