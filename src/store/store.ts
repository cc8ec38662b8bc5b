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
}

export interface NewUser {
  readonly username: string;
  readonly passwordHash: string;
  readonly isActive?: boolean;
  readonly dateJoined: number;
  readonly lastLogin?: number | null;
  readonly customClaims?: Readonly<Record<string, unknown>>;
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
 * - `reused`: the token had already been rotated; its whole family is now revoked (theft).
 * - `revoked`: the token or its family was blacklisted (logout, password change, reuse).
 * - `expired`: past its expiry.
 * - `unknown`: never issued here (or flushed).
 */
export type ConsumeResult =
  | { readonly outcome: 'rotated'; readonly token: RefreshTokenRecord }
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
  /** Replaces the hash. With `revokeSessions`, every refresh family of the user is revoked in the same transaction. */
  setPasswordHash(userId: number, passwordHash: string, options: { revokeSessions: boolean; now: number }): Promise<void>;
  /** Deactivating also revokes every family of the user, in one transaction. */
  setUserActive(userId: number, isActive: boolean, now: number): Promise<void>;
  recordLogin(userId: number, now: number): Promise<void>;
  setCustomClaims(userId: number, claims: Readonly<Record<string, unknown>>): Promise<void>;

  // Refresh tokens and their families (sessions)

  /** Starts a family (a login) and records its first refresh token, atomically. */
  startFamily(first: RefreshTokenRecord): Promise<void>;
  /** Records a refresh token issued without rotation being involved. */
  recordRefreshToken(token: RefreshTokenRecord): Promise<void>;
  /**
   * Marks the refresh token `jti` used and records `successor` in its family, atomically.
   * Under concurrency exactly one caller for a given `jti` gets `rotated`; every other caller
   * gets `reused` (and the family is revoked) or `revoked`. Never two valid successors.
   */
  consumeRefreshToken(jti: string, successor: RefreshTokenRecord | undefined, now: number): Promise<ConsumeResult>;
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
