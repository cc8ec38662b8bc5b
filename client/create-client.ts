import { GatehouseClientError, errorFromResponse } from './errors.js';
import type { ClientErrorCode } from './errors.js';
import { TabSync, isBrowserPage } from './tab-sync.js';
import type { TabMessage } from './tab-sync.js';
import { decodeTokenClaims } from './token-claims.js';
import type { TokenClaims } from './token-claims.js';
import { localStorageStorage, memoryStorage } from './token-storage.js';
import type { TokenStorage } from './token-storage.js';

/**
 * Endpoint paths, relative to `baseUrl`. Defaults are Gatehouse's (simplejwt's tutorial URLs,
 * and Djoser's for the account endpoints).
 */
export interface ClientPaths {
  token: string;
  refresh: string;
  blacklist: string;
  logoutAll: string;
  me: string;
  register: string;
  /** `POST {current_password, new_password}`. */
  setPassword: string;
  /** `DELETE {current_password}`: deactivates the account. */
  deleteAccount: string;
  /** `GET` lists the user's sessions; `DELETE {sessions}{id}/` ends one. */
  sessions: string;
  /** `POST`: ends every session but the caller's. */
  revokeOtherSessions: string;
}

export interface ClientOptions {
  /** Where the server is; default `''`, the page's own origin. Required in Node. */
  baseUrl?: string;
  /**
   * Where the refresh token is kept: `'memory'` (default), `'localStorage'` (survives reloads,
   * readable by any script on the page), `'cookie'` (server in cookie mode: the token is in an
   * HttpOnly cookie and JavaScript never sees it), or your own {@link TokenStorage}.
   */
  storage?: 'memory' | 'localStorage' | 'cookie' | TokenStorage;
  /** Refresh this long before the access token expires; default 30, at most a quarter of its lifetime. */
  refreshMarginSeconds?: number;
  /** Refresh on a timer before expiry (default true); otherwise only when a token is needed. */
  autoRefresh?: boolean;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; default `Date.now`. */
  clock?: () => number;
  /** Coordinate refreshes across browser tabs (Web Locks + BroadcastChannel); default on in browser pages. */
  tabLock?: boolean;
  /** Other origins (resource servers) that may receive the access token from `client.fetch`. */
  apiOrigins?: readonly string[];
  paths?: Partial<ClientPaths>;
}

/** Why a refresh happened: on the timer, because a token was needed and nearly expired, after a 401, on page load, or in another tab. */
export type RefreshReason = 'scheduled' | 'expiring' | 'rejected' | 'restore' | 'other_tab';
/**
 * Why the session ended: `logout()` (or `revokeSession()` of this session), `logoutEverywhere()`,
 * the server refused the refresh token (expired, or ended from another device), another tab
 * signed out, or `deleteAccount()`.
 */
export type LogoutReason = 'user' | 'everywhere' | 'expired' | 'other_tab' | 'account_deleted';

export interface ClientEvents {
  login: { readonly claims: TokenClaims | null; readonly fromOtherTab: boolean };
  refresh: { readonly claims: TokenClaims | null; readonly reason: RefreshReason };
  logout: { readonly reason: LogoutReason; readonly error?: GatehouseClientError };
  error: { readonly error: GatehouseClientError };
}

/** What `GET /api/me/` answers. */
export interface GatehouseUser {
  readonly id: number | string;
  readonly username: string;
  readonly last_login?: string | null;
  readonly date_joined?: string;
  readonly is_active?: boolean;
  readonly [field: string]: unknown;
}

/**
 * One signed-in login of the user, as `GET /api/sessions/` answers it. Field names are the
 * server's (snake_case), as in {@link GatehouseUser} and {@link TokenClaims}; times are ISO 8601
 * strings.
 */
export interface GatehouseSession {
  /** The session id; the access token's `sid` claim. */
  readonly id: string;
  readonly created_at: string;
  readonly last_used_at: string;
  /** The `User-Agent` the login came with, if any. */
  readonly user_agent: string | null;
  /** The client address the server saw, if any. */
  readonly ip: string | null;
  /** True for the session this client's access token belongs to. */
  readonly current: boolean;
  readonly [field: string]: unknown;
}

/**
 * A Gatehouse session in a browser tab or a Node process. Create one with {@link createClient}.
 *
 * @example
 * const off = auth.on('refresh', ({ reason }) => console.log('refreshed', reason));
 * if (!(await auth.restore())) await auth.login(username, password);
 * const response = await auth.fetch('/api/orders/', { method: 'POST', body: JSON.stringify(order) });
 * await auth.logout();
 * off();
 */
export interface GatehouseClient {
  /** Exchanges credentials for tokens. Throws `no_active_account` on wrong credentials, `rate_limited` on 429. */
  login(username: string, password: string): Promise<TokenClaims | null>;
  /** Blacklists the refresh token on the server and forgets the session (in every tab). */
  logout(): Promise<void>;
  /** Revokes every session of the user (all devices), then forgets this one. */
  logoutEverywhere(): Promise<void>;
  /**
   * `fetch` with `Authorization: Bearer …`, refreshing before expiry and once after a 401
   * `token_not_valid` (or `user_inactive`/`user_not_found`). Resolves with any HTTP answer like
   * `fetch` (a 401 too, when the refresh after it fails); rejects with `network_error`, or with
   * the server's code (`token_not_valid`, `refresh_token_reused`) when the session ended before
   * the request could be sent. Signed out, the request goes without a token.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** The signed-in user from `GET /api/me/`. Throws `not_logged_in` without a session. */
  getUser<User = GatehouseUser>(): Promise<User>;
  /** Creates an account (`POST /api/users/`); does not sign in. */
  register(username: string, password: string): Promise<{ id: number | string; username: string }>;
  /**
   * Changes the password (`POST /api/users/set_password/`). The server ends every other session
   * of the user; this one stays signed in. A wrong current password rejects with `invalid` and
   * `error.fields.current_password`; a weak new one with `error.fields.new_password`.
   *
   * @example
   * try {
   *   await auth.changePassword(current, next);
   *   show('Password changed; your other devices were signed out.');
   * } catch (error) {
   *   if (isGatehouseClientError(error) && error.code === 'invalid') showFieldErrors(error.fields);
   *   else throw error;
   * }
   */
  changePassword(currentPassword: string, newPassword: string): Promise<void>;
  /**
   * The user's live sessions (`GET /api/sessions/`), newest first; `current` marks this one.
   *
   * @example
   * for (const session of await auth.listSessions()) {
   *   console.log(session.user_agent, session.ip, session.last_used_at, session.current ? '(this device)' : '');
   * }
   */
  listSessions(): Promise<GatehouseSession[]>;
  /**
   * Ends one session at once (`DELETE /api/sessions/{id}/`): its refresh and access tokens are
   * refused from then on. Ending this client's own session also signs it out (a `logout` event,
   * reason `'user'`); `logout()` is the usual way to do that. An unknown id rejects with `not_found`.
   *
   * @example
   * const sessions = await auth.listSessions();
   * for (const session of sessions.filter((s) => !s.current && s.user_agent?.includes('Android'))) {
   *   await auth.revokeSession(session.id);
   * }
   */
  revokeSession(id: string): Promise<void>;
  /**
   * Ends every session of the user except this one (`POST /api/sessions/revoke-others/`).
   *
   * @example
   * await auth.revokeOtherSessions(); // "Sign out all other devices"
   */
  revokeOtherSessions(): Promise<void>;
  /**
   * Deactivates the account (`DELETE /api/users/me/`) after checking the password; every session
   * ends. This client then forgets its tokens and emits `logout` with reason `'account_deleted'`.
   * A wrong password rejects with `invalid` and `error.fields.current_password`, still signed in.
   *
   * @example
   * auth.on('logout', ({ reason }) => { if (reason === 'account_deleted') router.push('/goodbye'); });
   * await auth.deleteAccount(passwordFromConfirmDialog);
   */
  deleteAccount(currentPassword: string): Promise<void>;
  /** A current access token (refreshed if due), or null when signed out. */
  getAccessToken(): Promise<string | null>;
  /** The decoded (unverified) claims of the current access token, or null. */
  claims(): TokenClaims | null;
  isLoggedIn(): boolean;
  /** True when the session's refresh token is in the server's HttpOnly cookie (cookie mode), out of JavaScript's reach. */
  usesRefreshCookie(): boolean;
  /** Picks up a stored session (localStorage, cookie) after a page load; true when signed in. */
  restore(): Promise<boolean>;
  /**
   * Subscribes to an event; returns the function that unsubscribes.
   *
   * @example
   * auth.on('logout', ({ reason }) => { if (reason === 'expired') router.push('/login?expired=1'); });
   */
  on<E extends keyof ClientEvents>(event: E, listener: (detail: ClientEvents[E]) => void): () => void;
  /** Stops timers and the tab channel. */
  close(): void;
}

const DEFAULT_PATHS: ClientPaths = {
  token: '/api/token/',
  refresh: '/api/token/refresh/',
  blacklist: '/api/token/blacklist/',
  logoutAll: '/api/token/logout-all/',
  me: '/api/me/',
  register: '/api/users/',
  setPassword: '/api/users/set_password/',
  deleteAccount: '/api/users/me/',
  sessions: '/api/sessions/',
  revokeOtherSessions: '/api/sessions/revoke-others/',
};

// setTimeout's delay is a signed 32-bit int; longer waits fire at once.
const MAX_TIMER_MS = 2_147_483_647;
const RETRY_AFTER_FAILED_REFRESH_MS = 5000;

interface Session {
  readonly access: string;
  /** null in cookie mode: the token is in an HttpOnly cookie. */
  readonly refresh: string | null;
  readonly cookie: boolean;
  readonly claims: TokenClaims | null;
  readonly generation: string;
  readonly receivedAt: number;
}

function randomId(): string {
  // getRandomValues, unlike randomUUID, also exists on plain-http pages.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function pageOrigin(): string | undefined {
  const location = (globalThis as { location?: { origin?: string; href?: string } }).location;
  return location?.origin !== undefined && location.origin !== 'null' ? location.origin : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The JSON body if `accept` takes it; otherwise `bad_response`. */
async function readJson<T>(response: Response, accept: (value: unknown) => value is T): Promise<T> {
  try {
    const value: unknown = await response.json();
    if (accept(value)) return value;
  } catch {
    // fall through to the typed error
  }
  throw new GatehouseClientError('bad_response', 'The server answered with an unexpected body.', { status: response.status });
}

const readJsonObject = (response: Response): Promise<Record<string, unknown>> => readJson(response, isObject);

const isSessionList = (value: unknown): value is GatehouseSession[] =>
  Array.isArray(value) && value.every((item) => isObject(item) && typeof item['id'] === 'string' && typeof item['current'] === 'boolean');

/**
 * 401 codes that say this access token will not do, so a refresh is due: the token itself is
 * refused, or its user was deactivated or removed (simplejwt's `JWTAuthentication` codes). For
 * a gone user the refresh is refused too, which ends the session.
 */
const TOKEN_REJECTIONS: ReadonlySet<unknown> = new Set(['token_not_valid', 'user_inactive', 'user_not_found']);

async function isTokenRejection(response: Response): Promise<boolean> {
  try {
    const body: unknown = await response.clone().json();
    return isObject(body) && TOKEN_REJECTIONS.has(body['code']);
  } catch {
    return false;
  }
}

class Client implements GatehouseClient {
  readonly #baseUrl: string;
  readonly #paths: ClientPaths;
  readonly #cookieMode: boolean;
  readonly #storage: TokenStorage;
  readonly #marginSeconds: number;
  readonly #autoRefresh: boolean;
  readonly #fetch: typeof fetch;
  readonly #clock: () => number;
  readonly #tokenOrigins: Set<string>;
  readonly #sync: TabSync | undefined;
  readonly #listeners = new Map<keyof ClientEvents, Set<(detail: never) => void>>();
  #session: Session | null = null;
  #inflight: Promise<void> | null = null;
  #restoring: Promise<boolean> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ClientOptions) {
    this.#baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
    this.#paths = { ...DEFAULT_PATHS, ...options.paths };
    const storage = options.storage ?? 'memory';
    this.#cookieMode = storage === 'cookie';
    this.#storage =
      storage === 'localStorage' ? localStorageStorage() : typeof storage === 'object' ? storage : memoryStorage();
    this.#marginSeconds = Math.max(0, options.refreshMarginSeconds ?? 30);
    this.#autoRefresh = options.autoRefresh ?? true;
    const customFetch = options.fetch;
    // Called through a wrapper: a bare reference to window.fetch throws "Illegal invocation".
    this.#fetch = customFetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#clock = options.clock ?? Date.now;
    const origin = pageOrigin();
    this.#tokenOrigins = new Set(options.apiOrigins?.map((value) => new URL(value).origin));
    if (this.#baseUrl !== '' || origin !== undefined) {
      this.#tokenOrigins.add(new URL(this.#baseUrl === '' ? '/' : this.#baseUrl, origin).origin);
    }
    if (options.tabLock ?? isBrowserPage()) {
      this.#sync = new TabSync(`gatehouse:${this.#baseUrl === '' ? origin ?? '' : this.#baseUrl}`, (message) =>
        this.#onTabMessage(message),
      );
    }
  }

  async login(username: string, password: string): Promise<TokenClaims | null> {
    // The CSRF header always: a server in cookie mode refuses logins without it, whatever this client's storage.
    const response = await this.#post(this.#paths.token, { username, password }, this.#cookieMode, true);
    if (!response.ok) throw await errorFromResponse(response, 'no_active_account');
    const body = await readJsonObject(response);
    if (typeof body['access'] !== 'string') {
      throw new GatehouseClientError('bad_response', 'The login answer has no access token.', { status: response.status });
    }
    // No refresh token in the body means the server keeps it in its HttpOnly cookie.
    const bodyRefresh = typeof body['refresh'] === 'string' ? body['refresh'] : null;
    const cookie = this.#cookieMode || bodyRefresh === null;
    const session = await this.#adopt(body['access'], cookie ? null : bodyRefresh, cookie, randomId(), true);
    this.#emit('login', { claims: session.claims, fromOtherTab: false });
    return session.claims;
  }

  async logout(): Promise<void> {
    const session = this.#session;
    await this.#clear('user', true);
    if (session === null && !this.#cookieMode) return;
    const cookie = session?.cookie ?? true;
    const response = await this.#post(this.#paths.blacklist, cookie ? {} : { refresh: session?.refresh }, cookie);
    // 401: the token was already dead, which is what we wanted; 400: no cookie to clear.
    if (!response.ok && response.status !== 401 && response.status !== 400) {
      throw await errorFromResponse(response, 'token_not_valid');
    }
  }

  async logoutEverywhere(): Promise<void> {
    await this.#call('POST', this.#paths.logoutAll, {});
    await this.#clear('everywhere', true);
  }

  async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(this.#resolve(input), init);
    const attach = this.#tokenOrigins.has(new URL(request.url).origin);
    const token = attach ? await this.getAccessToken() : null;
    const generation = this.#session?.generation;
    // Cloned up front: a body can be read once, and the retry needs it again.
    const spare = token === null ? undefined : request.clone();
    const first = await this.#send(request, token);
    if (first.status !== 401 || spare === undefined || generation === undefined || !(await isTokenRejection(first))) {
      return first;
    }
    try {
      await this.#refreshFrom(generation, 'rejected');
    } catch {
      return first;
    }
    const next = this.#session?.access;
    return next === undefined || next === token ? first : this.#send(spare, next);
  }

  async getUser<User = GatehouseUser>(): Promise<User> {
    return (await readJsonObject(await this.#call('GET', this.#paths.me))) as User;
  }

  async register(username: string, password: string): Promise<{ id: number | string; username: string }> {
    const response = await this.#post(this.#paths.register, { username, password }, false);
    if (!response.ok) throw await errorFromResponse(response, 'not_authenticated');
    const body = await readJsonObject(response);
    const id = body['id'];
    return { id: typeof id === 'number' || typeof id === 'string' ? id : '', username: String(body['username'] ?? username) };
  }

  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await this.#call('POST', this.#paths.setPassword, { current_password: currentPassword, new_password: newPassword });
  }

  async listSessions(): Promise<GatehouseSession[]> {
    return readJson(await this.#call('GET', this.#paths.sessions), isSessionList);
  }

  async revokeSession(id: string): Promise<void> {
    await this.#call('DELETE', `${this.#paths.sessions}${encodeURIComponent(id)}/`);
    // The server has ended this client's own session: nothing left to refresh.
    if (this.#session?.claims?.sid === id) await this.#clear('user', true);
  }

  async revokeOtherSessions(): Promise<void> {
    await this.#call('POST', this.#paths.revokeOtherSessions, {});
  }

  async deleteAccount(currentPassword: string): Promise<void> {
    await this.#call('DELETE', this.#paths.deleteAccount, { current_password: currentPassword });
    await this.#clear('account_deleted', true);
  }

  async getAccessToken(): Promise<string | null> {
    await this.restore();
    const session = this.#session;
    if (session === null) return null;
    if (this.#clock() < this.#refreshAt(session)) return session.access;
    try {
      await this.#refreshFrom(session.generation, 'expiring');
    } catch (error) {
      // Still inside its lifetime: use it and let the server decide; past it, say why.
      const expired = session.claims?.exp !== undefined && this.#clock() >= session.claims.exp * 1000;
      if (this.#session === session && !expired) return session.access;
      throw error;
    }
    return this.#session?.access ?? null;
  }

  claims(): TokenClaims | null {
    return this.#session?.claims ?? null;
  }

  isLoggedIn(): boolean {
    return this.#session !== null;
  }

  usesRefreshCookie(): boolean {
    return this.#session?.cookie ?? false;
  }

  restore(): Promise<boolean> {
    if (this.#session !== null) return Promise.resolve(true);
    this.#restoring ??= this.#restoreOnce();
    return this.#restoring;
  }

  on<E extends keyof ClientEvents>(event: E, listener: (detail: ClientEvents[E]) => void): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    set.add(listener as (detail: never) => void);
    this.#listeners.set(event, set);
    return () => set.delete(listener as (detail: never) => void);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#sync?.close();
  }

  /** Under the tab lock: two tabs loading at once must not both spend the same stored refresh token. */
  #restoreOnce(): Promise<boolean> {
    const known = this.#sync?.marker();
    const attempt = async (): Promise<boolean> => {
      await this.#sync?.catchUp(known);
      return this.#session !== null || this.#restoreFromStorage();
    };
    return this.#sync === undefined ? attempt() : this.#sync.withLock(attempt);
  }

  async #restoreFromStorage(): Promise<boolean> {
    const refresh = this.#cookieMode ? null : await this.#storage.load();
    if (!this.#cookieMode && refresh === null) return false;
    try {
      const tokens = await this.#requestRefresh(refresh, this.#cookieMode);
      if (this.#session !== null) return true; // a login won the race
      const session = await this.#adopt(tokens.access, tokens.refresh ?? refresh, this.#cookieMode, randomId(), true);
      this.#emit('refresh', { claims: session.claims, reason: 'restore' });
      return true;
    } catch (error) {
      if (error instanceof GatehouseClientError && error.status >= 400 && error.status < 500 && !this.#cookieMode) {
        await this.#storage.save(null);
      }
      return this.#session !== null;
    }
  }

  /** Replaces the session; `publish` tells the other tabs (false when the change came from one). */
  async #adopt(access: string, refresh: string | null, cookie: boolean, generation: string, publish: boolean): Promise<Session> {
    const session: Session = { access, refresh, cookie, claims: decodeTokenClaims(access), generation, receivedAt: this.#clock() };
    this.#session = session;
    this.#restoring = null;
    if (publish) {
      await this.#storage.save(cookie ? null : refresh);
      this.#sync?.publish({ type: 'tokens', generation, access, refresh, cookie });
    }
    this.#schedule(session);
    return session;
  }

  async #clear(reason: LogoutReason, publish: boolean, error?: GatehouseClientError): Promise<void> {
    const had = this.#session !== null;
    this.#session = null;
    this.#restoring = null;
    clearTimeout(this.#timer);
    if (publish) {
      await this.#storage.save(null);
      this.#sync?.publish({ type: 'logout', generation: randomId() });
    }
    if (had) this.#emit('logout', error === undefined ? { reason } : { reason, error });
  }

  /**
   * Refreshes unless the session already moved past `staleGeneration` (another caller or tab
   * refreshed). One request at a time per client; the tab lock extends that across tabs.
   */
  #refreshFrom(staleGeneration: string, reason: RefreshReason): Promise<void> {
    if (this.#session?.generation !== staleGeneration) return Promise.resolve();
    if (this.#inflight !== null) return this.#inflight;
    const run = async (): Promise<void> => {
      await this.#sync?.catchUp(this.#session?.generation);
      const session = this.#session;
      if (session === null || session.generation !== staleGeneration) return;
      let tokens: { access: string; refresh: string | null };
      try {
        tokens = await this.#requestRefresh(session.refresh, session.cookie);
      } catch (error) {
        // The server refused the refresh token: the session is over. Network and 5xx: keep it, try again later.
        if (error instanceof GatehouseClientError && error.status >= 400 && error.status < 500 && error.status !== 429) {
          if (this.#session === session) await this.#clear('expired', true, error);
        }
        throw error;
      }
      if (this.#session !== session) return; // signed out meanwhile
      // Without rotation (simplejwt's default) the old refresh token stays valid and is kept.
      const next = await this.#adopt(tokens.access, session.cookie ? null : tokens.refresh ?? session.refresh, session.cookie, randomId(), true);
      this.#emit('refresh', { claims: next.claims, reason });
    };
    const inflight = (this.#sync === undefined ? run() : this.#sync.withLock(run)).finally(() => {
      this.#inflight = null;
    });
    this.#inflight = inflight;
    return inflight;
  }

  async #requestRefresh(refresh: string | null, cookie: boolean): Promise<{ access: string; refresh: string | null }> {
    const response = await this.#post(this.#paths.refresh, cookie ? {} : { refresh }, cookie);
    if (!response.ok) throw await errorFromResponse(response, 'token_not_valid');
    const body = await readJsonObject(response);
    if (typeof body['access'] !== 'string') {
      throw new GatehouseClientError('bad_response', 'The refresh answer has no access token.', { status: response.status });
    }
    return { access: body['access'], refresh: typeof body['refresh'] === 'string' ? body['refresh'] : null };
  }

  #onTabMessage(message: TabMessage): void {
    if (message.type === 'logout') {
      void this.#clear('other_tab', false);
      return;
    }
    if (message.generation === this.#session?.generation) return;
    const wasLoggedIn = this.#session !== null;
    void this.#adopt(message.access, message.refresh, message.cookie, message.generation, false).then((session) => {
      if (wasLoggedIn) this.#emit('refresh', { claims: session.claims, reason: 'other_tab' });
      else this.#emit('login', { claims: session.claims, fromOtherTab: true });
    });
  }

  #refreshAt(session: Session): number {
    const exp = session.claims?.exp;
    if (exp === undefined) return Number.POSITIVE_INFINITY;
    const lifetime = exp - (session.claims?.iat ?? session.receivedAt / 1000);
    const margin = Math.min(this.#marginSeconds, Math.max(0, lifetime) / 4);
    return (exp - margin) * 1000;
  }

  #schedule(session: Session): void {
    clearTimeout(this.#timer);
    if (!this.#autoRefresh) return;
    const at = this.#refreshAt(session);
    if (!Number.isFinite(at)) return;
    this.#timer = this.#startTimer(at - this.#clock(), () => {
      this.#refreshFrom(session.generation, 'scheduled').catch((error: unknown) => {
        // A refused refresh token already ended the session with a 'logout' event; only transient failures are retried.
        if (this.#session !== session) return;
        const failure =
          error instanceof GatehouseClientError ? error : new GatehouseClientError('network_error', 'Refresh failed.', { cause: error });
        this.#emit('error', { error: failure });
        this.#timer = this.#startTimer(RETRY_AFTER_FAILED_REFRESH_MS, () => this.#schedule(session));
      });
    });
  }

  #startTimer(delayMs: number, task: () => void): ReturnType<typeof setTimeout> {
    const timer = setTimeout(task, Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
    // Node: a pending refresh must not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
    return timer;
  }

  #resolve(input: RequestInfo | URL): RequestInfo | URL {
    if (typeof input !== 'string' || /^[a-z][a-z\d+.-]*:/i.test(input)) return input;
    if (this.#baseUrl !== '') return `${this.#baseUrl}${input.startsWith('/') ? '' : '/'}${input}`;
    const origin = pageOrigin();
    return origin === undefined ? input : new URL(input, (globalThis as { location?: { href: string } }).location?.href ?? origin).href;
  }

  async #send(request: Request, token: string | null): Promise<Response> {
    const headers = new Headers(request.headers);
    if (token !== null) headers.set('Authorization', `Bearer ${token}`);
    try {
      return await this.#fetch(new Request(request, { headers }));
    } catch (error) {
      throw new GatehouseClientError('network_error', 'The request did not reach the server.', { cause: error });
    }
  }

  /**
   * A signed-in JSON call through {@link fetch} (bearer token, refreshed as needed); a non-2xx
   * answer becomes the server's error. Without a session nothing is sent: `not_logged_in`.
   */
  async #call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: Record<string, unknown>): Promise<Response> {
    if (!(await this.restore())) throw new GatehouseClientError('not_logged_in', 'Not signed in.');
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await this.fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!response.ok) throw await errorFromResponse(response, 'not_authenticated');
    return response;
  }

  async #post(path: string, body: Record<string, unknown>, cookie: boolean, csrfHeader = cookie): Promise<Response> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
    // The server's CSRF guard for cookie-authenticated calls; also forces a CORS preflight.
    if (csrfHeader) headers['X-Requested-With'] = 'gatehouse';
    try {
      return await this.#fetch(`${this.#baseUrl}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        credentials: cookie ? 'include' : 'same-origin',
      });
    } catch (error) {
      throw new GatehouseClientError('network_error', 'The request did not reach the server.', { cause: error });
    }
  }

  #emit<E extends keyof ClientEvents>(event: E, detail: ClientEvents[E]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        (listener as (value: ClientEvents[E]) => void)(detail);
      } catch (error) {
        // A broken listener must not break the session; surface it like EventTarget does.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

/**
 * Creates a Gatehouse client. Works in browsers and in Node 20+ (global fetch).
 *
 * @example
 * import { createClient } from 'gatehouse/client';
 *
 * const auth = createClient({ baseUrl: 'https://auth.example.com' });
 * auth.on('logout', ({ reason }) => { if (reason === 'expired') showLogin('Your session expired.'); });
 * await auth.login('alice', 'correct horse battery staple');
 * const me = await auth.getUser();
 * const orders = await auth.fetch('/api/orders/'); // Authorization added, refreshed when needed
 */
export function createClient(options: ClientOptions = {}): GatehouseClient {
  return new Client(options);
}

export type { ClientErrorCode };
