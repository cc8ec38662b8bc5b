import * as assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  createClient,
  decodeTokenClaims,
  GatehouseClientError,
} from '../client/index.js';
import type { ClientEvents, GatehouseClient, TokenStorage } from '../client/index.js';

const BASE = 'http://gatehouse.test';
const START = Date.UTC(2026, 0, 1, 12, 0, 0);

function base64Url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

interface Call {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
  readonly credentials: RequestCredentials;
}

interface FakeOptions {
  /** simplejwt's ROTATE_REFRESH_TOKENS; Gatehouse rotates by default. */
  rotate?: boolean;
  /** Gatehouse's cookie mode: the refresh token travels only in a cookie. */
  cookie?: boolean;
  accessLifetimeSeconds?: number;
  clock?: () => number;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
const noContent = (): Response => new Response(null, { status: 204 });
const NOT_VALID = {
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' }],
};

/** One login on the fake server; its tokens carry its id as the `sid` claim. */
interface FakeSession {
  readonly id: string;
  readonly createdAt: number;
  lastUsedAt: number;
  readonly userAgent: string | null;
  live: boolean;
}

/**
 * A stand-in for a simplejwt server that answers with simplejwt's exact bodies. Tokens are
 * unsigned JWTs: the SDK never verifies signatures, it only reads `exp`.
 */
class FakeServer {
  readonly calls: Call[] = [];
  readonly users = new Map<string, string>([['alice', 'correct horse']]);
  readonly revokedAccess = new Set<string>();
  readonly refreshState = new Map<string, 'live' | 'used' | 'blacklisted'>();
  readonly sessions = new Map<string, FakeSession>();
  readonly #sessionOfRefresh = new Map<string, string>();
  cookieJar: string | null = null;
  throttled = false;
  offline = false;
  #serial = 0;
  readonly #options: FakeOptions;

  constructor(options: FakeOptions = {}) {
    this.#options = options;
  }

  now(): number {
    return (this.#options.clock ?? Date.now)();
  }

  count(path: string): number {
    return this.calls.filter((call) => call.path === path).length;
  }

  token(type: 'access' | 'refresh', lifetimeSeconds: number, sid?: string): string {
    const iat = Math.floor(this.now() / 1000);
    this.#serial += 1;
    const payload = { token_type: type, exp: iat + lifetimeSeconds, iat, jti: `jti-${this.#serial}`, user_id: 1, sid };
    return `${base64Url({ alg: 'HS256', typ: 'JWT' })}.${base64Url(payload)}.c2ln`;
  }

  #issue(sid: string): { access: string; refresh: string } {
    const refresh = this.token('refresh', 86400, sid);
    this.refreshState.set(refresh, 'live');
    this.#sessionOfRefresh.set(refresh, sid);
    return { access: this.token('access', this.#options.accessLifetimeSeconds ?? 300, sid), refresh };
  }

  #startSession(userAgent: string | null): string {
    const id = `session/${this.sessions.size + 1}`; // a slash, so the SDK must encode it in the URL
    this.sessions.set(id, { id, createdAt: this.now() + this.sessions.size, lastUsedAt: this.now(), userAgent, live: true });
    return id;
  }

  /** Ends a login: its refresh tokens are blacklisted and its access tokens refused. */
  endSession(id: string): void {
    const session = this.sessions.get(id);
    if (session !== undefined) session.live = false;
    for (const [refresh, sid] of this.#sessionOfRefresh) if (sid === id) this.refreshState.set(refresh, 'blacklisted');
  }

  /** The caller's session id, or the 401 simplejwt's JWTAuthentication would answer. */
  #authenticate(request: Request): string | Response {
    const header = request.headers.get('authorization');
    if (header === null) return json(401, { detail: 'Authentication credentials were not provided.', code: 'not_authenticated' });
    // simplejwt's JWTAuthentication answers for a deactivated user's token before anything else.
    if (!this.users.has('alice')) return json(401, { detail: 'User is inactive', code: 'user_inactive' });
    const token = header.replace(/^Bearer /, '');
    const claims = decodeTokenClaims(token);
    const session = this.sessions.get(String(claims?.sid));
    if (this.revokedAccess.has(token) || (claims?.exp ?? 0) * 1000 <= this.now() || session?.live !== true) return json(401, NOT_VALID);
    session.lastUsedAt = this.now();
    return session.id;
  }

  #tokenBody(tokens: { access: string; refresh?: string }): Response {
    if (this.#options.cookie === true) {
      this.cookieJar = tokens.refresh ?? this.cookieJar;
      return json(200, { access: tokens.access });
    }
    return json(200, tokens);
  }

  readonly fetch: typeof fetch = async (input, init) => {
    if (this.offline) throw new TypeError('fetch failed');
    const request = new Request(input, init);
    const url = new URL(request.url);
    const text = request.method === 'GET' ? '' : await request.text();
    const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    this.calls.push({ method: request.method, path: url.pathname, body, headers: request.headers, credentials: request.credentials });
    await new Promise((resolve) => setTimeout(resolve, 5)); // lets concurrent callers pile up
    const cookieRefresh = (): string | undefined =>
      this.#options.cookie === true && request.headers.get('x-requested-with') === 'gatehouse' ? this.cookieJar ?? undefined : undefined;

    switch (url.pathname) {
      case '/api/token/': {
        if (this.throttled) {
          return json(429, { detail: 'Request was throttled. Expected available in 56 seconds.' }, { 'Retry-After': '56' });
        }
        if (typeof body['password'] !== 'string') return json(400, { password: ['This field is required.'] });
        if (this.users.get(String(body['username'])) !== body['password']) {
          return json(401, { detail: 'No active account found with the given credentials' });
        }
        return this.#tokenBody(this.#issue(this.#startSession(request.headers.get('user-agent'))));
      }
      case '/api/token/refresh/': {
        const refresh = typeof body['refresh'] === 'string' ? body['refresh'] : cookieRefresh();
        if (refresh === undefined) return json(400, { refresh: ['This field is required.'] });
        const state = this.refreshState.get(refresh);
        const refreshSession = this.sessions.get(this.#sessionOfRefresh.get(refresh) ?? '');
        if (refreshSession !== undefined) refreshSession.lastUsedAt = this.now();
        if (state === 'used') return json(401, { detail: 'Refresh token reused', code: 'refresh_token_reused' });
        if (state !== 'live') return json(401, { detail: 'Token is invalid or expired', code: 'token_not_valid' });
        if (this.#options.rotate === false) {
          return this.#tokenBody({ access: this.token('access', this.#options.accessLifetimeSeconds ?? 300) });
        }
        this.refreshState.set(refresh, 'used');
        return this.#tokenBody(this.#issue(this.#sessionOfRefresh.get(refresh) ?? ''));
      }
      case '/api/token/blacklist/': {
        const refresh = typeof body['refresh'] === 'string' ? body['refresh'] : cookieRefresh();
        if (refresh === undefined || this.refreshState.get(refresh) !== 'live') {
          return json(401, { detail: 'Token is invalid or expired', code: 'token_not_valid' });
        }
        this.endSession(this.#sessionOfRefresh.get(refresh) ?? '');
        if (this.#options.cookie === true) this.cookieJar = null;
        return json(200, {});
      }
      case '/api/token/logout-all/':
      case '/api/me/': {
        const caller = this.#authenticate(request);
        if (caller instanceof Response) return caller;
        if (url.pathname === '/api/token/logout-all/') {
          for (const key of this.refreshState.keys()) this.refreshState.set(key, 'blacklisted');
          for (const id of this.sessions.keys()) this.endSession(id);
          return json(200, {});
        }
        return json(200, { id: 1, username: 'alice', last_login: null, date_joined: '2026-01-01T00:00:00Z', is_active: true });
      }
      case '/api/users/': {
        const username = String(body['username']);
        if (this.users.has(username)) return json(400, { username: ['A user with that username already exists.'] });
        this.users.set(username, String(body['password']));
        return json(201, { id: this.users.size, username });
      }
      default:
        if (url.pathname.startsWith('/api/users/') || url.pathname.startsWith('/api/sessions/')) {
          return this.#account(request, url.pathname, body);
        }
        return json(404, { detail: 'Not found.' });
    }
  };

  /** Djoser's account endpoints and Gatehouse's session list, for the one user alice. */
  #account(request: Request, path: string, body: Record<string, unknown>): Response {
    const caller = this.#authenticate(request);
    if (caller instanceof Response) return caller;
    const required = (...names: string[]): Response | undefined => {
      const missing = names.filter((name) => typeof body[name] !== 'string');
      return missing.length === 0 ? undefined : json(400, Object.fromEntries(missing.map((name) => [name, ['This field is required.']])));
    };
    const wrongPassword = (): Response | undefined =>
      body['current_password'] === this.users.get('alice') ? undefined : json(400, { current_password: ['Invalid password.'] });
    const endOthers = (): void => {
      for (const id of this.sessions.keys()) if (id !== caller) this.endSession(id);
    };
    const route = `${request.method} ${path}`;
    if (route === 'POST /api/users/set_password/') {
      const refused = required('current_password', 'new_password') ?? wrongPassword();
      if (refused !== undefined) return refused;
      if (String(body['new_password']).length < 8) {
        return json(400, { new_password: ['This password is too short. It must contain at least 8 characters.'] });
      }
      this.users.set('alice', String(body['new_password']));
      endOthers();
      return noContent();
    }
    if (route === 'DELETE /api/users/me/') {
      const refused = required('current_password') ?? wrongPassword();
      if (refused !== undefined) return refused;
      this.users.delete('alice');
      for (const id of this.sessions.keys()) this.endSession(id);
      return noContent();
    }
    if (route === 'GET /api/sessions/') {
      const live = [...this.sessions.values()].filter((session) => session.live).sort((a, b) => b.createdAt - a.createdAt);
      return json(
        200,
        live.map((session) => ({
          id: session.id,
          created_at: new Date(session.createdAt).toISOString(),
          last_used_at: new Date(session.lastUsedAt).toISOString(),
          user_agent: session.userAgent,
          ip: '127.0.0.1',
          current: session.id === caller,
        })),
      );
    }
    if (route === 'POST /api/sessions/revoke-others/') {
      endOthers();
      return noContent();
    }
    const one = /^\/api\/sessions\/([^/]+)\/$/.exec(path);
    if (request.method === 'DELETE' && one?.[1] !== undefined) {
      const id = decodeURIComponent(one[1]);
      if (this.sessions.get(id)?.live !== true) return json(404, { detail: 'Not found.', code: 'not_found' });
      this.endSession(id);
      return noContent();
    }
    return json(404, { detail: 'Not found.', code: 'not_found' });
  }
}

/** A Storage backed by a Map, installed as globalThis.localStorage for one test. */
class MemoryWebStorage implements Storage {
  readonly #items = new Map<string, string>();
  get length(): number {
    return this.#items.size;
  }
  clear(): void {
    this.#items.clear();
  }
  getItem(key: string): string | null {
    return this.#items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.#items.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.#items.delete(key);
  }
  setItem(key: string, value: string): void {
    this.#items.set(key, value);
  }
}

function fakeClock(): { now: () => number; advance: (seconds: number) => void } {
  let now = START;
  return { now: () => now, advance: (seconds) => (now += seconds * 1000) };
}

function nextEvent<E extends keyof ClientEvents>(client: GatehouseClient, event: E): Promise<ClientEvents[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} event`)), 5000);
    const off = client.on(event, (detail) => {
      clearTimeout(timer);
      off();
      resolve(detail);
    });
  });
}

async function rejection(promise: Promise<unknown>): Promise<GatehouseClientError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  if (caught instanceof GatehouseClientError) return caught;
  throw new assert.AssertionError({ message: `expected a GatehouseClientError rejection, got ${String(caught)}` });
}

const clients: GatehouseClient[] = [];
function track(client: GatehouseClient): GatehouseClient {
  clients.push(client);
  return client;
}

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  delete (globalThis as { localStorage?: Storage }).localStorage;
});

function setup(options: FakeOptions & { storage?: 'memory' | 'localStorage' | 'cookie' | TokenStorage } = {}) {
  const clock = fakeClock();
  const server = new FakeServer({ clock: clock.now, ...options });
  const client = track(
    createClient({ baseUrl: BASE, fetch: server.fetch, clock: clock.now, autoRefresh: false, storage: options.storage ?? 'memory' }),
  );
  return { clock, server, client };
}

describe('client: login and calls', () => {
  it('logs in, decodes the claims and sends the bearer token', async () => {
    const { server, client } = setup();
    const logins: unknown[] = [];
    client.on('login', (detail) => logins.push(detail));
    const claims = await client.login('alice', 'correct horse');
    assert.equal(claims?.token_type, 'access');
    assert.equal(client.claims()?.exp, START / 1000 + 300);
    assert.equal(logins.length, 1);
    const user = await client.getUser();
    assert.equal(user.username, 'alice');
    const me = server.calls.find((call) => call.path === '/api/me/');
    assert.match(me?.headers.get('authorization') ?? '', /^Bearer ey/);
  });

  it('never sends the access token to an origin it was not told about', async () => {
    const { server, client } = setup();
    await client.login('alice', 'correct horse');
    await client.fetch('https://elsewhere.test/api/me/');
    assert.equal(server.calls.at(-1)?.headers.get('authorization'), null);
  });

  it('creates accounts and reports taken usernames with the field messages', async () => {
    const { client } = setup();
    assert.deepEqual(await client.register('bob', 'long enough'), { id: 2, username: 'bob' });
    const error = await rejection(client.register('bob', 'long enough'));
    assert.equal(error.code, 'invalid');
    assert.equal(error.status, 400);
    assert.ok(error.fields?.['username']?.length === 1);
  });
});

describe('client: refreshing', () => {
  it('refreshes before the access token expires, without a 401 first', async () => {
    const { clock, server, client } = setup();
    await client.login('alice', 'correct horse');
    const first = await client.getAccessToken();
    clock.advance(260); // 40 s left: outside the 30 s margin
    assert.equal(await client.getAccessToken(), first);
    assert.equal(server.count('/api/token/refresh/'), 0);
    const refreshed = nextEvent(client, 'refresh');
    clock.advance(20); // 20 s left: inside the margin
    const response = await client.fetch('/api/me/');
    assert.equal(response.status, 200);
    assert.equal((await refreshed).reason, 'expiring');
    assert.equal(server.count('/api/token/refresh/'), 1);
    assert.equal(server.count('/api/me/'), 1, 'no failed call before the refresh');
    assert.notEqual(await client.getAccessToken(), first);
  });

  it('shrinks the margin for short lifetimes', async () => {
    const { clock, server, client } = setup({ accessLifetimeSeconds: 4 });
    await client.login('alice', 'correct horse');
    clock.advance(2.5); // a 30 s margin would refresh at once; a quarter of 4 s does not
    await client.getAccessToken();
    assert.equal(server.count('/api/token/refresh/'), 0);
    clock.advance(0.7);
    await client.getAccessToken();
    assert.equal(server.count('/api/token/refresh/'), 1);
  });

  it('refreshes on a timer when autoRefresh is on', async () => {
    const server = new FakeServer({ accessLifetimeSeconds: 1 });
    const client = track(createClient({ baseUrl: BASE, fetch: server.fetch }));
    await client.login('alice', 'correct horse');
    const event = await nextEvent(client, 'refresh');
    assert.equal(event.reason, 'scheduled');
    assert.equal(server.count('/api/token/refresh/'), 1);
  });

  it('retries once after a 401 token_not_valid, with the new token', async () => {
    const { server, client } = setup();
    await client.login('alice', 'correct horse');
    const old = (await client.getAccessToken()) ?? '';
    server.revokedAccess.add(old);
    const response = await client.fetch(`${BASE}/api/me/`, { method: 'GET' });
    assert.equal(response.status, 200);
    assert.equal(server.count('/api/token/refresh/'), 1);
    const [rejected, retried] = server.calls.filter((call) => call.path === '/api/me/');
    assert.equal(rejected?.headers.get('authorization'), `Bearer ${old}`);
    assert.notEqual(retried?.headers.get('authorization'), `Bearer ${old}`);
  });

  it('retries only once and hands back the second 401', async () => {
    const server = new FakeServer();
    // Every access token is revoked as soon as it is used, so the retry fails too.
    const revokeOnUse: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const header = request.headers.get('authorization');
      if (header !== null) server.revokedAccess.add(header.slice('Bearer '.length));
      return server.fetch(request);
    };
    const client = track(createClient({ baseUrl: BASE, fetch: revokeOnUse, autoRefresh: false }));
    await client.login('alice', 'correct horse');
    const response = await client.fetch('/api/me/');
    assert.equal(response.status, 401);
    assert.equal(server.count('/api/me/'), 2);
    assert.equal(server.count('/api/token/refresh/'), 1);
  });

  it('sends exactly one refresh for 20 requests failing together (single flight)', async () => {
    const { server, client } = setup();
    await client.login('alice', 'correct horse');
    server.revokedAccess.add((await client.getAccessToken()) ?? '');
    const responses = await Promise.all(Array.from({ length: 20 }, () => client.fetch('/api/me/')));
    assert.deepEqual(
      responses.map((response) => response.status),
      Array.from({ length: 20 }, () => 200),
    );
    assert.equal(server.count('/api/token/refresh/'), 1);
    assert.ok(client.isLoggedIn(), 'no reuse detection fired');
  });

  it('ends the session with a logout event when the refresh token is refused', async () => {
    const { clock, server, client } = setup();
    await client.login('alice', 'correct horse');
    for (const key of server.refreshState.keys()) server.refreshState.set(key, 'blacklisted');
    const loggedOut = nextEvent(client, 'logout');
    clock.advance(299);
    const error = await rejection(client.getAccessToken());
    assert.equal(error.code, 'token_not_valid');
    const event = await loggedOut;
    assert.equal(event.reason, 'expired');
    assert.equal(event.error?.code, 'token_not_valid');
    assert.equal(client.isLoggedIn(), false);
  });

  it('passes Gatehouse codes through (refresh_token_reused)', async () => {
    const { clock, server, client } = setup();
    await client.login('alice', 'correct horse');
    for (const key of server.refreshState.keys()) server.refreshState.set(key, 'used');
    clock.advance(299);
    assert.equal((await rejection(client.getAccessToken())).code, 'refresh_token_reused');
  });

  it('keeps the session through a network failure while the token is still valid', async () => {
    const { clock, server, client } = setup();
    await client.login('alice', 'correct horse');
    const token = await client.getAccessToken();
    server.offline = true;
    clock.advance(280);
    assert.equal(await client.getAccessToken(), token);
    assert.ok(client.isLoggedIn());
  });
});

describe('client: logout', () => {
  it('blacklists the refresh token and stops sending the access token', async () => {
    const { server, client } = setup();
    await client.login('alice', 'correct horse');
    const loggedOut = nextEvent(client, 'logout');
    await client.logout();
    assert.equal((await loggedOut).reason, 'user');
    const blacklist = server.calls.find((call) => call.path === '/api/token/blacklist/');
    assert.equal(server.refreshState.get(String(blacklist?.body['refresh'])), 'blacklisted');
    assert.equal(client.isLoggedIn(), false);
    const response = await client.fetch('/api/me/');
    assert.equal(response.status, 401);
    assert.equal(server.calls.at(-1)?.headers.get('authorization'), null);
    assert.equal((await rejection(client.getUser())).code, 'not_logged_in');
  });

  it('logs out everywhere with the bearer token', async () => {
    const { server, client } = setup();
    await client.login('alice', 'correct horse');
    await client.logoutEverywhere();
    const call = server.calls.find((entry) => entry.path === '/api/token/logout-all/');
    assert.equal(call?.method, 'POST');
    assert.match(call?.headers.get('authorization') ?? '', /^Bearer /);
    assert.ok([...server.refreshState.values()].every((state) => state === 'blacklisted'));
    assert.equal(client.isLoggedIn(), false);
  });
});

describe('client: errors', () => {
  it('maps simplejwt\'s code-less login 401 to no_active_account', async () => {
    const { client } = setup();
    const error = await rejection(client.login('alice', 'wrong'));
    assert.equal(error.code, 'no_active_account');
    assert.equal(error.status, 401);
    assert.equal(client.isLoggedIn(), false);
  });

  it('reports rate limits with the Retry-After seconds', async () => {
    const { server, client } = setup();
    server.throttled = true;
    const error = await rejection(client.login('alice', 'correct horse'));
    assert.equal(error.code, 'rate_limited');
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterSeconds, 56);
  });

  it('reports a failed connection as network_error', async () => {
    const { server, client } = setup();
    server.offline = true;
    const error = await rejection(client.login('alice', 'correct horse'));
    assert.equal(error.code, 'network_error');
    assert.equal(error.status, 0);
  });

  it('reports missing fields as invalid with the field map', async () => {
    const server = new FakeServer();
    const client = track(createClient({ baseUrl: BASE, fetch: server.fetch, autoRefresh: false }));
    const error = await rejection(client.login('alice', undefined as unknown as string));
    assert.equal(error.code, 'invalid');
    assert.deepEqual(error.fields, { password: ['This field is required.'] });
  });
});

describe('client: storage modes', () => {
  it('memory (default) writes nothing to localStorage', async () => {
    const web = new MemoryWebStorage();
    (globalThis as { localStorage?: Storage }).localStorage = web;
    const { client } = setup();
    await client.login('alice', 'correct horse');
    assert.equal(web.length, 0);
  });

  it('localStorage keeps the rotated refresh token, restores it and removes it on logout', async () => {
    const web = new MemoryWebStorage();
    (globalThis as { localStorage?: Storage }).localStorage = web;
    const { clock, server, client } = setup({ storage: 'localStorage' });
    await client.login('alice', 'correct horse');
    const first = web.getItem('gatehouse.refresh');
    assert.equal(server.refreshState.get(first ?? ''), 'live');
    clock.advance(290);
    await client.getAccessToken();
    const rotated = web.getItem('gatehouse.refresh');
    assert.notEqual(rotated, first);
    assert.equal(server.refreshState.get(rotated ?? ''), 'live');

    // A page reload: a new client finds the token and resumes the session.
    const reloaded = track(createClient({ baseUrl: BASE, fetch: server.fetch, clock: clock.now, autoRefresh: false, storage: 'localStorage' }));
    assert.equal(await reloaded.restore(), true);
    assert.equal((await reloaded.getUser()).username, 'alice');
    await reloaded.logout();
    assert.equal(web.getItem('gatehouse.refresh'), null);
  });

  it('a custom TokenStorage receives every rotation', async () => {
    const saved: Array<string | null> = [];
    const storage: TokenStorage = { load: async () => saved.at(-1) ?? null, save: async (token) => void saved.push(token) };
    const { clock, client } = setup({ storage });
    await client.login('alice', 'correct horse');
    clock.advance(290);
    await client.getAccessToken();
    await client.logout();
    assert.equal(saved.length, 3);
    assert.notEqual(saved[0], saved[1]);
    assert.equal(saved[2], null);
  });

  it('cookie mode keeps no refresh token and sends the CSRF header with credentials', async () => {
    const web = new MemoryWebStorage();
    (globalThis as { localStorage?: Storage }).localStorage = web;
    const { clock, server, client } = setup({ storage: 'cookie', cookie: true });
    await client.login('alice', 'correct horse');
    clock.advance(290);
    assert.equal((await client.fetch('/api/me/')).status, 200);
    const refresh = server.calls.find((call) => call.path === '/api/token/refresh/');
    assert.deepEqual(refresh?.body, {});
    assert.equal(refresh?.credentials, 'include');
    assert.equal(refresh?.headers.get('x-requested-with'), 'gatehouse');
    assert.equal(web.length, 0);
    await client.logout();
    assert.equal(server.cookieJar, null);
  });

  it('memory mode notices a cookie-mode server and refreshes through the cookie', async () => {
    const { clock, server, client } = setup({ cookie: true });
    await client.login('alice', 'correct horse');
    clock.advance(290);
    assert.equal((await client.fetch('/api/me/')).status, 200);
    assert.equal(server.count('/api/token/refresh/'), 1);
    assert.equal(server.calls.find((call) => call.path === '/api/token/refresh/')?.headers.get('x-requested-with'), 'gatehouse');
  });
});

describe('client: simplejwt compatibility', () => {
  it('keeps the old refresh token when the server does not rotate', async () => {
    const { clock, server, client } = setup({ rotate: false });
    await client.login('alice', 'correct horse');
    clock.advance(290);
    await client.getAccessToken();
    clock.advance(290);
    await client.getAccessToken();
    const sent = server.calls.filter((call) => call.path === '/api/token/refresh/').map((call) => call.body['refresh']);
    assert.equal(sent.length, 2);
    assert.equal(sent[0], sent[1]);
    assert.equal(typeof sent[0], 'string');
    assert.ok(client.isLoggedIn());
  });
});

describe('client: tabs', () => {
  it('shares logins, refreshes and logouts between clients on one channel', async () => {
    const server = new FakeServer();
    const options = { baseUrl: BASE, fetch: server.fetch, autoRefresh: false, tabLock: true } as const;
    const tabA = track(createClient(options));
    const tabB = track(createClient(options));
    const loginB = nextEvent(tabB, 'login');
    await tabA.login('alice', 'correct horse');
    assert.equal((await loginB).fromOtherTab, true);
    assert.equal(await tabB.getAccessToken(), await tabA.getAccessToken());

    server.revokedAccess.add((await tabA.getAccessToken()) ?? '');
    const refreshB = nextEvent(tabB, 'refresh');
    assert.equal((await tabA.fetch('/api/me/')).status, 200);
    assert.equal((await refreshB).reason, 'other_tab');
    assert.equal(await tabB.getAccessToken(), await tabA.getAccessToken());
    assert.equal(server.count('/api/token/refresh/'), 1);

    const logoutB = nextEvent(tabB, 'logout');
    await tabA.logout();
    assert.equal((await logoutB).reason, 'other_tab');
    assert.equal(tabB.isLoggedIn(), false);
  });
});

describe('client: account and sessions', () => {
  /** A second login of alice on the same server: another device. */
  async function otherDevice(server: FakeServer, clock: { now: () => number }): Promise<GatehouseClient> {
    const device = track(createClient({ baseUrl: BASE, fetch: server.fetch, clock: clock.now, autoRefresh: false }));
    await device.login('alice', 'correct horse');
    return device;
  }

  it('changePassword sends both passwords with the bearer token; this device stays signed in, the others end', async () => {
    const { clock, server, client } = setup();
    await client.login('alice', 'correct horse');
    const phone = await otherDevice(server, clock);
    const phoneLoggedOut = nextEvent(phone, 'logout');
    await client.changePassword('correct horse', 'battery staple');
    const call = server.calls.find((entry) => entry.path === '/api/users/set_password/');
    assert.equal(call?.method, 'POST');
    assert.deepEqual(call?.body, { current_password: 'correct horse', new_password: 'battery staple' });
    assert.match(call?.headers.get('authorization') ?? '', /^Bearer /);
    assert.equal((await client.fetch('/api/me/')).status, 200);
    assert.ok(client.isLoggedIn());
    assert.equal((await phone.fetch('/api/me/')).status, 401);
    assert.equal((await phoneLoggedOut).reason, 'expired');
  });

  it('changePassword reports a wrong current password and a weak new one as field errors, and keeps the session', async () => {
    const { client } = setup();
    await client.login('alice', 'correct horse');
    const wrong = await rejection(client.changePassword('not it', 'battery staple'));
    assert.equal(wrong.code, 'invalid');
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.fields, { current_password: ['Invalid password.'] });
    const weak = await rejection(client.changePassword('correct horse', 'short'));
    assert.equal(weak.code, 'invalid');
    assert.deepEqual(Object.keys(weak.fields ?? {}), ['new_password']);
    const missing = await rejection(client.changePassword('correct horse', undefined as unknown as string));
    assert.deepEqual(missing.fields, { new_password: ['This field is required.'] });
    assert.ok(client.isLoggedIn());
  });

  it('listSessions answers the live logins newest first, with this one marked current', async () => {
    const { clock, server, client } = setup();
    await client.login('alice', 'correct horse');
    await otherDevice(server, clock);
    const sessions = await client.listSessions();
    assert.equal(sessions.length, 2);
    assert.deepEqual(
      sessions.map((session) => session.current),
      [false, true],
    );
    assert.equal(sessions[1]?.id, client.claims()?.sid);
    assert.equal(typeof sessions[0]?.created_at, 'string');
    assert.equal(typeof sessions[0]?.last_used_at, 'string');
    assert.equal(sessions[0]?.ip, '127.0.0.1');
  });

  it('listSessions refreshes an expiring access token first, like fetch', async () => {
    const { clock, server, client } = setup();
    await client.login('alice', 'correct horse');
    clock.advance(290);
    assert.equal((await client.listSessions()).length, 1);
    assert.equal(server.count('/api/token/refresh/'), 1);
    assert.equal(server.count('/api/sessions/'), 1, 'no failed call before the refresh');
  });

  it('listSessions refuses a body that is not a list of sessions with bad_response', async () => {
    const server = new FakeServer();
    const broken: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      return new URL(request.url).pathname === '/api/sessions/' ? json(200, { results: [] }) : server.fetch(request);
    };
    const client = track(createClient({ baseUrl: BASE, fetch: broken, autoRefresh: false }));
    await client.login('alice', 'correct horse');
    assert.equal((await rejection(client.listSessions())).code, 'bad_response');
  });

  it('revokeSession ends another device at once: its next call fails and it signs out', async () => {
    const { clock, server, client } = setup();
    await client.login('alice', 'correct horse');
    const phone = await otherDevice(server, clock);
    const phoneId = phone.claims()?.sid ?? '';
    const phoneLoggedOut = nextEvent(phone, 'logout');
    await client.revokeSession(phoneId);
    const call = server.calls.find((entry) => entry.method === 'DELETE');
    assert.equal(call?.path, `/api/sessions/${encodeURIComponent(phoneId)}/`);
    assert.match(call?.headers.get('authorization') ?? '', /^Bearer /);
    assert.ok(client.isLoggedIn());
    assert.equal((await phone.fetch('/api/me/')).status, 401);
    assert.equal((await phoneLoggedOut).reason, 'expired');
    assert.deepEqual(
      (await client.listSessions()).map((session) => session.current),
      [true],
    );
  });

  it('revokeSession of an unknown id rejects with not_found', async () => {
    const { client } = setup();
    await client.login('alice', 'correct horse');
    const error = await rejection(client.revokeSession('no-such-session'));
    assert.equal(error.code, 'not_found');
    assert.equal(error.status, 404);
    assert.ok(client.isLoggedIn());
  });

  it('revokeSession of this very session signs this client out', async () => {
    const { client } = setup();
    await client.login('alice', 'correct horse');
    const loggedOut = nextEvent(client, 'logout');
    await client.revokeSession(client.claims()?.sid ?? '');
    assert.equal((await loggedOut).reason, 'user');
    assert.equal(client.isLoggedIn(), false);
  });

  it('revokeOtherSessions ends every other device and keeps this one', async () => {
    const { clock, server, client } = setup();
    await client.login('alice', 'correct horse');
    const phone = await otherDevice(server, clock);
    const tablet = await otherDevice(server, clock);
    await client.revokeOtherSessions();
    assert.equal(server.calls.find((entry) => entry.path === '/api/sessions/revoke-others/')?.method, 'POST');
    assert.equal((await client.fetch('/api/me/')).status, 200);
    for (const device of [phone, tablet]) assert.equal((await device.fetch('/api/me/')).status, 401);
    assert.equal((await client.listSessions()).length, 1);
  });

  it('deleteAccount checks the password, then forgets the tokens with reason account_deleted', async () => {
    const { clock, server, client } = setup();
    await client.login('alice', 'correct horse');
    const phone = await otherDevice(server, clock);
    const wrong = await rejection(client.deleteAccount('not it'));
    assert.equal(wrong.code, 'invalid');
    assert.deepEqual(wrong.fields, { current_password: ['Invalid password.'] });
    assert.ok(client.isLoggedIn(), 'a wrong password leaves the session alone');

    const loggedOut = nextEvent(client, 'logout');
    await client.deleteAccount('correct horse');
    const call = server.calls.filter((entry) => entry.path === '/api/users/me/').at(-1);
    assert.equal(call?.method, 'DELETE');
    assert.deepEqual(call?.body, { current_password: 'correct horse' });
    assert.equal((await loggedOut).reason, 'account_deleted');
    assert.equal(client.isLoggedIn(), false);
    assert.equal(await client.getAccessToken(), null);
    assert.equal((await rejection(client.login('alice', 'correct horse'))).code, 'no_active_account');

    // The other device hears user_inactive for its access token; the refused refresh ends its session.
    const phoneLoggedOut = nextEvent(phone, 'logout');
    const answer = await phone.fetch('/api/me/');
    assert.equal(answer.status, 401);
    assert.equal((await phoneLoggedOut).reason, 'expired');
    assert.equal(phone.isLoggedIn(), false);
  });

  it('deleteAccount in localStorage mode removes the stored refresh token', async () => {
    const web = new MemoryWebStorage();
    (globalThis as { localStorage?: Storage }).localStorage = web;
    const { client } = setup({ storage: 'localStorage' });
    await client.login('alice', 'correct horse');
    assert.notEqual(web.getItem('gatehouse.refresh'), null);
    await client.deleteAccount('correct horse');
    assert.equal(web.getItem('gatehouse.refresh'), null);
  });

  it('every account and session call without a session rejects with not_logged_in and sends nothing', async () => {
    const { server, client } = setup();
    const calls: Array<() => Promise<unknown>> = [
      () => client.changePassword('a', 'b'),
      () => client.listSessions(),
      () => client.revokeSession('x'),
      () => client.revokeOtherSessions(),
      () => client.deleteAccount('a'),
    ];
    for (const call of calls) assert.equal((await rejection(call())).code, 'not_logged_in');
    assert.equal(server.calls.length, 0);
  });

  it('cookie mode: the calls carry the bearer token and refresh through the cookie', async () => {
    const { clock, server, client } = setup({ storage: 'cookie', cookie: true });
    await client.login('alice', 'correct horse');
    clock.advance(290);
    assert.equal((await client.listSessions()).length, 1);
    const refresh = server.calls.find((call) => call.path === '/api/token/refresh/');
    assert.deepEqual(refresh?.body, {});
    assert.equal(refresh?.headers.get('x-requested-with'), 'gatehouse');
    await client.changePassword('correct horse', 'battery staple');
    assert.match(server.calls.at(-1)?.headers.get('authorization') ?? '', /^Bearer /);
    await client.deleteAccount('battery staple');
    assert.equal(client.isLoggedIn(), false);
  });

  it('uses the configured paths', async () => {
    const server = new FakeServer();
    const requested: string[] = [];
    // Records what the client asked for, then maps a Djoser-style app's URLs onto the fake's.
    const rewrite: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      requested.push(`${request.method} ${url.pathname}`);
      url.pathname = url.pathname.replace(/^\/auth\/users\//, '/api/users/').replace(/^\/auth\/devices\//, '/api/sessions/');
      return server.fetch(new Request(url, request));
    };
    const paths = {
      setPassword: '/auth/users/set_password/',
      deleteAccount: '/auth/users/me/',
      sessions: '/auth/devices/',
      revokeOtherSessions: '/auth/devices/revoke-others/',
    };
    const client = track(createClient({ baseUrl: BASE, fetch: rewrite, autoRefresh: false, paths }));
    await client.login('alice', 'correct horse');
    const id = client.claims()?.sid ?? '';
    await client.listSessions();
    await client.revokeOtherSessions();
    await client.changePassword('correct horse', 'battery staple');
    await client.revokeSession(id);
    await client.login('alice', 'battery staple');
    await client.deleteAccount('battery staple');
    assert.deepEqual(
      requested.filter((entry) => entry !== 'POST /api/token/'),
      [
        'GET /auth/devices/',
        'POST /auth/devices/revoke-others/',
        'POST /auth/users/set_password/',
        `DELETE /auth/devices/${encodeURIComponent(id)}/`,
        'DELETE /auth/users/me/',
      ],
    );
  });
});
