import { sql, type CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { GatehouseError } from '../errors.js';
import type { DatabaseSchema } from './database-schema.js';
import { isUniqueViolation } from './database-errors.js';
import { withUnavailableAs503 } from './unavailable-as-503.js';
import type { RunWithNamedLock } from './named-lock.js';
import { precompiled } from './precompiled-query.js';
import { SessionStateView } from './session-state-view.js';
import { NOT_NOW, type SyncReads } from './sqlite/sync-reads.js';
import {
  auditEventFromRow,
  refreshTokenFromRow,
  sessionFromRow,
  signingKeyFromRow,
  toBoolean,
  toNullableNumber,
  toNumber,
  userFromRow,
} from './row-mappers.js';
import { migrationsApplied, runMigrations } from './run-migrations.js';
import type {
  AuthState,
  ClientInfo,
  ConsumeResult,
  NewUser,
  RefreshTokenRecord,
  RefreshTokenState,
  StoredSigningKey,
  Store,
  User,
} from './store.js';

type Db = Kysely<DatabaseSchema> | Transaction<DatabaseSchema>;

function usernameTaken(cause: unknown): GatehouseError {
  const message = 'A user with that username already exists.';
  return new GatehouseError('username_taken', message, { body: { username: [message] }, cause });
}

const S1 = '\u0000sentinel-1';
const S2 = '\u0000sentinel-2';
const N1 = -1.5;
const N2 = -2.5;
const N3 = -3.5;

/** The queries on the per-request path, compiled once per store (see precompiled-query.ts). */
function hotQueries(db: Kysely<DatabaseSchema>) {
  return {
    /** The user row plus whether the session is live, in one round trip. */
    authState: precompiled(
      (userId: number, familyId: string) =>
        db
          .selectFrom('users')
          .selectAll('users')
          .select((eb) =>
            eb
              .exists(
                eb
                  .selectFrom('refresh_families')
                  .select('refresh_families.id')
                  .where('refresh_families.id', '=', familyId)
                  .whereRef('refresh_families.user_id', '=', 'users.id')
                  .where('refresh_families.revoked_at', 'is', null),
              )
              .as('family_active'),
          )
          .where('users.id', '=', userId),
      [N1, S1],
    ),

    /**
     * The rotation arbiter: the row lock (PostgreSQL) or the write lock (SQLite) lets exactly one
     * caller flip used_at from NULL, and only while the token and its family are live.
     */
    markUsed: precompiled(
      (jti: string, now: number, successorJti: string | null) =>
        db
          .updateTable('refresh_tokens')
          .set({ used_at: now, replaced_by: successorJti })
          .where('refresh_tokens.jti', '=', jti)
          .where('refresh_tokens.used_at', 'is', null)
          .where('refresh_tokens.revoked_at', 'is', null)
          .where('refresh_tokens.expires_at', '>', now)
          .where((eb) =>
            eb.exists(
              eb
                .selectFrom('refresh_families')
                .select('refresh_families.id')
                .whereRef('refresh_families.id', '=', 'refresh_tokens.family_id')
                .where('refresh_families.revoked_at', 'is', null),
            ),
          )
          .returning(['jti', 'family_id', 'user_id', 'issued_at', 'expires_at']),
      [S1, N1, S2],
    ),

    insertToken: precompiled(
      (jti: string, familyId: string, userId: number, issuedAt: number, expiresAt: number) =>
        db.insertInto('refresh_tokens').values({
          jti,
          family_id: familyId,
          user_id: userId,
          issued_at: issuedAt,
          expires_at: expiresAt,
          used_at: null,
          revoked_at: null,
        }),
      [S1, S2, N1, N2, N3],
    ),

    /** A token row joined with its family, as the state checks need it. */
    tokenState: precompiled(
      (jti: string) =>
        db
          .selectFrom('refresh_tokens')
          .leftJoin('refresh_families', 'refresh_families.id', 'refresh_tokens.family_id')
          .select([
            'refresh_tokens.jti',
            'refresh_tokens.family_id',
            'refresh_tokens.user_id',
            'refresh_tokens.issued_at',
            'refresh_tokens.expires_at',
            'refresh_tokens.used_at',
            'refresh_tokens.revoked_at',
            'refresh_tokens.replaced_by',
            'refresh_families.revoked_at as family_revoked_at',
          ])
          .where('refresh_tokens.jti', '=', jti),
      [S1],
    ),
  };
}

type HotQueries = ReturnType<typeof hotQueries>;
type TokenStateRow = ReturnType<HotQueries['tokenState']> extends CompiledQuery<infer R> ? R : never;

async function loadTokenState(db: Db, queries: HotQueries, jti: string): Promise<TokenStateRow | undefined> {
  const { rows } = await db.executeQuery(queries.tokenState(jti));
  return rows[0];
}

async function insertToken(db: Db, queries: HotQueries, token: RefreshTokenRecord): Promise<void> {
  await db.executeQuery(queries.insertToken(token.jti, token.familyId, token.userId, token.issuedAt, token.expiresAt));
}

/** Revocation wins over use (a blacklisted token reads as blacklisted), use over expiry. */
function stateOf(row: TokenStateRow | undefined, now: number): RefreshTokenState {
  if (row === undefined) return 'unknown';
  if (toNullableNumber(row.revoked_at) !== null || toNullableNumber(row.family_revoked_at) !== null) return 'revoked';
  if (toNullableNumber(row.used_at) !== null) return 'used';
  if (toNumber(row.expires_at) <= now) return 'expired';
  return 'active';
}

/** Revokes every still-live family of a user except one; returns how many. */
async function revokeOthersIn(db: Db, userId: number, keepFamilyId: string, now: number): Promise<number> {
  const result = await db
    .updateTable('refresh_families')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('id', '<>', keepFamilyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Revokes the still-live families of one family id or of one user; already revoked keep their
 * time. Returns the owner's id when a family was revoked.
 */
async function revokeFamiliesIn(db: Db, which: { familyId: string } | { userId: number }, now: number): Promise<number | undefined> {
  const live = db.updateTable('refresh_families').set({ revoked_at: now }).where('revoked_at', 'is', null);
  const chosen = 'familyId' in which ? live.where('id', '=', which.familyId) : live.where('user_id', '=', which.userId);
  const rows = await chosen.returning('user_id').execute();
  return rows[0] === undefined ? undefined : toNumber(rows[0].user_id);
}

function authStateFromRow(row: Readonly<Record<string, unknown>> | undefined): AuthState | undefined {
  if (row === undefined) return undefined;
  return { user: userFromRow(row), familyActive: toBoolean(row.family_active) };
}

/** A user agent is whatever a client sends: kept to a readable length. */
const USER_AGENT_LIMIT = 512;

function clientValues(client: ClientInfo | undefined) {
  return { user_agent: client?.userAgent?.slice(0, USER_AGENT_LIMIT) ?? null, ip: client?.ip ?? null };
}

function familyValues(first: RefreshTokenRecord, client?: ClientInfo) {
  return {
    id: first.familyId,
    user_id: first.userId,
    created_at: first.issuedAt,
    expires_at: first.expiresAt,
    revoked_at: null,
    last_used_at: first.issuedAt,
    ...clientValues(client),
  };
}

/**
 * Within the grace after its rotation, a used token's successor, if that successor is still
 * live and unused (it may be handed out again); undefined otherwise (the replay is reuse).
 */
async function successorWithinGrace(db: Db, queries: HotQueries, row: TokenStateRow, now: number, graceMs: number): Promise<RefreshTokenRecord | undefined> {
  const usedAt = toNullableNumber(row.used_at);
  if (graceMs <= 0 || usedAt === null || now - usedAt > graceMs || row.replaced_by === null) return undefined;
  if (toNullableNumber(row.revoked_at) !== null || toNullableNumber(row.family_revoked_at) !== null) return undefined;
  const child = await loadTokenState(db, queries, row.replaced_by);
  return child !== undefined && stateOf(child, now) === 'active' ? refreshTokenFromRow(child) : undefined;
}

/** The live families of a user, as sessions: not revoked, not expired. */
function liveFamilies(db: Db, userId: number, now: number) {
  return db
    .selectFrom('refresh_families')
    .select(['id', 'user_id', 'created_at', 'expires_at', 'last_used_at', 'user_agent', 'ip'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now);
}

/** What a dialect adds to the shared queries. */
export interface KyselyStoreExtras {
  /** Synchronous point reads (SQLite): the session check then needs no round trip even when not remembered. */
  readonly syncReads?: SyncReads;
  /**
   * Keep a session-state view of this age bound, fed by `feed` (which starts the notifications
   * and returns how to stop them); absent = read the database on every check.
   */
  readonly sessionState?: { readonly maxAgeMs: number; readonly feed: (view: SessionStateView) => () => Promise<void> };
}

/**
 * The {@link Store} over kysely: one set of queries for SQLite and PostgreSQL. Only the
 * cross-process lock differs per dialect and is passed in, with the optional extras: SQLite's
 * synchronous reads and the session-state view (see session-state-view.ts).
 *
 * @example
 * const { db } = openSqliteKysely(':memory:');
 * const store = createKyselyStore(db, 'sqlite', tableLock(db));
 */
export function createKyselyStore(
  db: Kysely<DatabaseSchema>,
  dialect: 'sqlite' | 'postgres',
  withNamedLock: RunWithNamedLock,
  extras: KyselyStoreExtras = {},
): Store {
  let closing: Promise<void> | undefined;
  const queries = hotQueries(db);
  const { syncReads } = extras;

  /** A read of one login's state that the view keeps if nothing changed meanwhile. */
  const readIntoView = async (userId: number, familyId: string): Promise<AuthState | undefined> => {
    const ticket = view?.beginRead();
    const state = authStateFromRow((await db.executeQuery(queries.authState(userId, familyId))).rows[0]);
    if (ticket !== undefined && state !== undefined) view?.remember(ticket, userId, familyId, state);
    return state;
  };
  const view =
    extras.sessionState === undefined
      ? undefined
      : new SessionStateView({
          maxAgeMs: extras.sessionState.maxAgeMs,
          // Where a miss costs a round trip (PostgreSQL), a busy login is read again before it
          // expires, off the request path; a failed read just lets the entry expire.
          ...(syncReads === undefined ? { refreshAhead: (userId: number, familyId: string) => void readIntoView(userId, familyId).catch(() => undefined) } : {}),
        });
  const stopFeed = view === undefined ? undefined : extras.sessionState?.feed(view);
  /**
   * Called once this process's own change to a user's session state has committed. Other
   * processes hear of it by notification; this one must not wait for its own (read your writes).
   */
  const changedHere = (userId: number | undefined): void => {
    if (userId !== undefined) view?.changed(userId);
  };

  /** The remembered answer, else (SQLite) a synchronous read, kept if the view allows; NOT_NOW = go async. */
  const authStateSync = (userId: number, familyId: string): AuthState | undefined | typeof NOT_NOW => {
    const remembered = view?.lookup(userId, familyId);
    if (remembered !== undefined) return remembered;
    if (syncReads === undefined) return NOT_NOW;
    const ticket = view?.beginRead();
    const state = syncReads.first(() => queries.authState(userId, familyId), authStateFromRow);
    if (ticket !== undefined && state !== NOT_NOW && state !== undefined) view?.remember(ticket, userId, familyId, state);
    return state;
  };

  const store: Store = {
    dialect,

    async migrate() {
      await runMigrations(db as unknown as Kysely<unknown>);
    },

    async isReady() {
      try {
        return await migrationsApplied(db as unknown as Kysely<unknown>);
      } catch {
        return false;
      }
    },

    async close() {
      closing ??= (async () => {
        await stopFeed?.();
        await db.destroy();
      })();
      await closing;
    },

    // Users

    async createUser(user: NewUser): Promise<User> {
      try {
        const row = await db
          .insertInto('users')
          .values({
            username: user.username,
            password_hash: user.passwordHash,
            is_active: user.isActive === false ? 0 : 1,
            last_login: user.lastLogin ?? null,
            date_joined: user.dateJoined,
            custom_claims: JSON.stringify(user.customClaims ?? {}),
            is_admin: user.isAdmin === true ? 1 : 0,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return userFromRow(row);
      } catch (error) {
        // The unique constraint decides, so two racing creators cannot both win.
        if (isUniqueViolation(error)) throw usernameTaken(error);
        throw error;
      }
    },

    async findUserById(id: number) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : userFromRow(row);
    },

    async findUserByUsername(username: string) {
      const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
      return row === undefined ? undefined : userFromRow(row);
    },

    async listUsers() {
      const rows = await db.selectFrom('users').selectAll().orderBy('id').execute();
      return rows.map(userFromRow);
    },

    async setPasswordHash(userId, passwordHash, options) {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
        if (!options.revokeSessions) return;
        if (options.keepFamilyId === undefined) await revokeFamiliesIn(trx, { userId }, options.now);
        else await revokeOthersIn(trx, userId, options.keepFamilyId, options.now);
      });
      changedHere(userId);
    },

    async setUserActive(userId, isActive, now) {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ is_active: isActive ? 1 : 0 }).where('id', '=', userId).execute();
        if (!isActive) await revokeFamiliesIn(trx, { userId }, now);
      });
      changedHere(userId);
    },

    async recordLogin(userId, now) {
      await db.updateTable('users').set({ last_login: now }).where('id', '=', userId).execute();
      changedHere(userId);
    },

    async setUserAdmin(userId, isAdmin) {
      await db.updateTable('users').set({ is_admin: isAdmin ? 1 : 0 }).where('id', '=', userId).execute();
      changedHere(userId);
    },

    async searchUsers({ search, limit, offset }) {
      let matching = db.selectFrom('users');
      if (search !== undefined && search !== '') {
        // LIKE's own wildcards in the search text are matched literally.
        const pattern = `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        matching = matching.where(sql<string>`lower(username)`, 'like', sql<string>`${pattern} escape '\\'`);
      }
      const counted = await matching.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirst();
      const rows = await matching.selectAll().orderBy('id').limit(limit).offset(offset).execute();
      return { count: toNumber(counted?.count ?? 0), users: rows.map(userFromRow) };
    },

    async setCustomClaims(userId, claims) {
      await db.updateTable('users').set({ custom_claims: JSON.stringify(claims) }).where('id', '=', userId).execute();
      changedHere(userId);
    },

    // Refresh tokens and families

    async startFamily(first, client) {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('refresh_families').values(familyValues(first, client)).execute();
        await insertToken(trx, queries, first);
      });
    },

    async recordRefreshToken(token) {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('refresh_families')
          .values(familyValues(token))
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        await insertToken(trx, queries, token);
      });
    },

    async consumeRefreshToken(jti, successor, now, options = {}): Promise<ConsumeResult> {
      const result = await db.transaction().execute(async (trx): Promise<ConsumeResult> => {
        const won = (await trx.executeQuery(queries.markUsed(jti, now, successor?.jti ?? null))).rows[0];
        if (won !== undefined) {
          const token = refreshTokenFromRow(won);
          if (successor !== undefined) {
            if (successor.familyId !== token.familyId || successor.userId !== token.userId) {
              // Throwing rolls the use back too: a successor must stay in its parent's family.
              throw new GatehouseError('internal_error', 'A successor refresh token must keep its family and user.');
            }
            await insertToken(trx, queries, successor);
          }
          await trx
            .updateTable('refresh_families')
            .set({ last_used_at: now, ...(options.client === undefined ? {} : clientValues(options.client)) })
            .where('id', '=', token.familyId)
            .execute();
          return { outcome: 'rotated', token };
        }

        const row = await loadTokenState(trx, queries, jti);
        if (row === undefined) return { outcome: 'unknown' };
        if (toNullableNumber(row.used_at) !== null) {
          const again = await successorWithinGrace(trx, queries, row, now, options.graceMs ?? 0);
          if (again !== undefined) return { outcome: 'retried', token: refreshTokenFromRow(row), successor: again };
          // A rotated token came back: someone holds a copy, so end the whole session.
          await revokeFamiliesIn(trx, { familyId: row.family_id }, now);
          return { outcome: 'reused', token: refreshTokenFromRow(row) };
        }
        // Anything but a plain expiry is refused as revoked: a loser never reads as valid.
        return { outcome: stateOf(row, now) === 'expired' ? 'expired' : 'revoked' };
      });
      if (result.outcome === 'reused') changedHere(result.token.userId);
      return result;
    },

    async refreshTokenState(jti, now) {
      return stateOf(await loadTokenState(db, queries, jti), now);
    },

    async revokeRefreshToken(jti, now) {
      let owner: number | undefined;
      const before = await db.transaction().execute(async (trx) => {
        const row = await loadTokenState(trx, queries, jti);
        if (row === undefined) return 'unknown';
        await trx
          .updateTable('refresh_tokens')
          .set({ revoked_at: now })
          .where('jti', '=', jti)
          .where('revoked_at', 'is', null)
          .execute();
        owner = await revokeFamiliesIn(trx, { familyId: row.family_id }, now);
        return stateOf(row, now);
      });
      changedHere(owner);
      return before;
    },

    async revokeFamily(familyId, now) {
      changedHere(await revokeFamiliesIn(db, { familyId }, now));
    },

    async revokeAllForUser(userId, now) {
      await revokeFamiliesIn(db, { userId }, now);
      changedHere(userId);
    },

    async listSessions(userId, now) {
      const rows = await liveFamilies(db, userId, now).orderBy('created_at', 'desc').orderBy('id').execute();
      return rows.map(sessionFromRow);
    },

    async revokeSession(familyId, now, ownerId) {
      let live = db
        .updateTable('refresh_families')
        .set({ revoked_at: now })
        .where('id', '=', familyId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now);
      if (ownerId !== undefined) live = live.where('user_id', '=', ownerId);
      const row = await live.returning(['id', 'user_id', 'created_at', 'expires_at', 'last_used_at', 'user_agent', 'ip']).executeTakeFirst();
      const session = row === undefined ? undefined : sessionFromRow(row);
      changedHere(session?.userId);
      return session;
    },

    async revokeOtherSessions(userId, keepFamilyId, now) {
      const count = await revokeOthersIn(db, userId, keepFamilyId, now);
      changedHere(userId);
      return count;
    },

    // Audit trail

    async recordAuditEvents(events) {
      if (events.length === 0) return;
      await db
        .insertInto('audit_events')
        .values(
          events.map((event) => ({
            at: event.at,
            event: event.event,
            user_id: event.userId ?? null,
            // Events that know only the user id get the name as it is now.
            username:
              event.username ?? (event.userId == null ? null : sql<string>`(select username from users where id = ${event.userId})`),
            session_id: event.sessionId ?? null,
            ip: event.ip ?? null,
            user_agent: event.userAgent?.slice(0, USER_AGENT_LIMIT) ?? null,
            actor_id: event.actorId ?? null,
            actor_username: event.actorUsername ?? null,
            reason: event.reason ?? null,
          })),
        )
        .execute();
    },

    async listAuditEvents(filter) {
      let query = db.selectFrom('audit_events').selectAll();
      if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
      if (filter.event !== undefined) query = query.where('event', '=', filter.event);
      if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
      const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
      return rows.map(auditEventFromRow);
    },

    async deleteAuditEventsBefore(before) {
      const result = await db.deleteFrom('audit_events').where('at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async authState(userId, familyId, _now) {
      const known = authStateSync(userId, familyId);
      return known === NOT_NOW ? readIntoView(userId, familyId) : known;
    },

    async flushExpired(now) {
      return db.transaction().execute(async (trx) => {
        const deleted = await trx.deleteFrom('refresh_tokens').where('expires_at', '<', now).executeTakeFirst();
        await trx
          .deleteFrom('refresh_families')
          .where('refresh_families.expires_at', '<', now)
          .where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom('refresh_tokens')
                  .select('refresh_tokens.jti')
                  .whereRef('refresh_tokens.family_id', '=', 'refresh_families.id'),
              ),
            ),
          )
          .execute();
        return Number(deleted.numDeletedRows);
      });
    },

    // Signing keys

    async listSigningKeys(): Promise<StoredSigningKey[]> {
      const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute();
      return rows.map(signingKeyFromRow);
    },

    async insertSigningKey(key) {
      await db
        .insertInto('signing_keys')
        .values({
          kid: key.kid,
          algorithm: key.algorithm,
          public_jwk: key.publicJwk,
          private_key: key.privateKey,
          created_at: key.createdAt,
          activates_at: key.activatesAt,
          deactivated_at: key.deactivatedAt,
          retires_at: key.retiresAt,
        })
        .execute();
    },

    async scheduleSigningKey(kid, changes) {
      const set: { deactivated_at?: number | null; retires_at?: number | null } = {};
      if (changes.deactivatedAt !== undefined) set.deactivated_at = changes.deactivatedAt;
      if (changes.retiresAt !== undefined) set.retires_at = changes.retiresAt;
      if (Object.keys(set).length === 0) return;
      await db.updateTable('signing_keys').set(set).where('kid', '=', kid).execute();
    },

    async deleteRetiredSigningKeys(now) {
      const rows = await db
        .deleteFrom('signing_keys')
        .where('retires_at', 'is not', null)
        .where('retires_at', '<=', now)
        .returning('kid')
        .execute();
      return rows.map((row) => row.kid);
    },

    withLock: withNamedLock,
  };
  // Only where a synchronous answer is possible: callers then skip trying.
  if (syncReads !== undefined || view !== undefined) {
    store.authStateNow = (userId, familyId) => {
      const known = authStateSync(userId, familyId);
      return known === NOT_NOW ? undefined : known;
    };
  }
  return withUnavailableAs503(store);
}
