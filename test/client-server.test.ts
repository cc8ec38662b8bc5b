import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, GatehouseClientError } from '../client/index.js';
import type { ClientOptions, GatehouseClient, TokenStorage } from '../client/index.js';
import { checkedFetch } from './support/http-call.js';
import { spawnServer } from './support/spawn-server.js';
import type { SpawnedServer } from './support/spawn-server.js';

// The SDK against the real server: rotation with reuse detection makes a second refresh with the
// same token revoke the session, so "still signed in" proves single flight end to end.

const PASSWORD = 'long enough password';
const NEW_PASSWORD = 'another long password';
const AN_HOUR = 3_600_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('client against the real server', () => {
  let server: SpawnedServer;
  const clients: GatehouseClient[] = [];

  before(async () => {
    // exp is whole seconds, so a token lives between 2 and 3 s: long enough for a retried burst under load.
    server = await spawnServer({ GATEHOUSE_ACCESS_TOKEN_LIFETIME: '3s' });
  });

  after(async () => {
    for (const client of clients) client.close();
    await server?.stop();
  });

  function client(options: ClientOptions = {}): GatehouseClient {
    const created = createClient({ baseUrl: server.baseUrl, autoRefresh: false, fetch: checkedFetch, ...options });
    clients.push(created);
    return created;
  }

  async function failure(promise: Promise<unknown>): Promise<GatehouseClientError | undefined> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof GatehouseClientError) return error;
      throw error;
    }
    return undefined;
  }

  async function code(promise: Promise<unknown>): Promise<string> {
    return (await failure(promise))?.code ?? 'no error';
  }

  function nextLogout(target: GatehouseClient): Promise<string> {
    return new Promise((resolve) => {
      const off = target.on('logout', ({ reason }) => {
        off();
        resolve(reason);
      });
    });
  }

  /**
   * A new account signed in on the named devices, in that order. `ahead()` moves the first
   * device's clock an hour on, so its next call refreshes first.
   */
  async function devices<const Name extends string>(
    username: string,
    names: readonly [Name, ...Name[]],
  ): Promise<{ device: Record<Name, GatehouseClient>; ahead: () => void }> {
    let offset = 0;
    const device = {} as Record<Name, GatehouseClient>;
    for (const name of names) device[name] = client(name === names[0] ? { clock: () => Date.now() + offset } : {});
    await device[names[0]].register(username, PASSWORD);
    for (const name of names) await device[name].login(username, PASSWORD);
    return { device, ahead: () => (offset = AN_HOUR) };
  }

  /** `GET /api/me/` with a raw access token, as a resource server would see it. */
  async function meStatus(token: string | null): Promise<number> {
    const response = await checkedFetch(`${server.baseUrl}/api/me/`, { headers: { Authorization: `Bearer ${token ?? ''}` } });
    await response.arrayBuffer();
    return response.status;
  }

  it('signs up, signs in and reads /api/me/; wrong password is no_active_account', async () => {
    const alice = client();
    assert.equal((await alice.register('alice', PASSWORD)).username, 'alice');
    assert.equal(await code(alice.register('alice', PASSWORD)), 'invalid');
    assert.equal(await code(alice.login('alice', 'not the password')), 'no_active_account');
    await alice.login('alice', PASSWORD);
    assert.equal((await alice.getUser()).username, 'alice');
  });

  it('20 requests rejected together share one refresh, and the session survives', async () => {
    let refreshes = 0;
    const counting: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url.endsWith('/api/token/refresh/')) refreshes += 1;
      return checkedFetch(input, init);
    };
    // First an hour behind: the client believes its token is fresh, so the server's 401 drives the refresh.
    let offset = -3_600_000;
    const bob = client({ fetch: counting, clock: () => Date.now() + offset });
    await bob.register('bob', PASSWORD);
    await bob.login('bob', PASSWORD);
    await sleep(3100);
    const responses = await Promise.all(Array.from({ length: 20 }, () => bob.fetch('/api/me/')));
    assert.deepEqual(new Set(responses.map((response) => response.status)), new Set([200]));
    assert.equal(refreshes, 1);
    // Then an hour ahead: the next call refreshes first, with the rotated token. Had two refreshes
    // spent the same token, reuse detection would have revoked the session and this would fail.
    offset = 3_600_000;
    assert.equal((await bob.fetch('/api/me/')).status, 200);
    assert.equal(refreshes, 2);
    assert.ok(bob.isLoggedIn());
  });

  it('logout blacklists the refresh token on the server', async () => {
    let saved: string | null = null;
    const storage: TokenStorage = { load: () => saved, save: (token) => void (token !== null && (saved = token)) };
    const carol = client({ storage });
    await carol.register('carol', PASSWORD);
    await carol.login('carol', PASSWORD);
    await carol.logout();
    const response = await checkedFetch(`${server.baseUrl}/api/token/refresh/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh: saved }),
    });
    assert.equal(response.status, 401);
  });

  it('logoutEverywhere ends the sessions of other devices', async () => {
    const laptop = client();
    // An hour ahead, so the phone refreshes on its next call instead of waiting for expiry.
    const phone = client({ clock: () => Date.now() + 3_600_000 });
    await laptop.register('dave', PASSWORD);
    await laptop.login('dave', PASSWORD);
    await phone.login('dave', PASSWORD);
    const phoneLoggedOut = new Promise<string>((resolve) => phone.on('logout', ({ reason }) => resolve(reason)));
    await laptop.logoutEverywhere();
    assert.equal(laptop.isLoggedIn(), false);
    // The phone's refresh token is revoked: the session is over.
    assert.equal(await code(phone.fetch('/api/me/')), 'token_not_valid');
    assert.equal(await phoneLoggedOut, 'expired');
    assert.equal(phone.isLoggedIn(), false);
  });

  it('GET /api/users/me/ answers what GET /api/me/ does (paths.me for a Djoser app)', async () => {
    const { laptop } = (await devices('erin', ['laptop'])).device;
    const djoser = client({ paths: { me: '/api/users/me/' } });
    await djoser.login('erin', PASSWORD);
    assert.deepEqual(await djoser.getUser(), await laptop.getUser());
  });

  it('changePassword keeps this device signed in, ends the others, and only the new password signs in', async () => {
    const { device, ahead } = await devices('frank', ['laptop', 'phone']);
    const { laptop, phone } = device;

    const wrong = await failure(laptop.changePassword('not the password', NEW_PASSWORD));
    assert.equal(wrong?.code, 'invalid');
    assert.deepEqual(wrong?.fields, { current_password: ['Invalid password.'] });
    const weak = await failure(laptop.changePassword(PASSWORD, 'short'));
    assert.equal(weak?.code, 'invalid');
    assert.deepEqual(Object.keys(weak?.fields ?? {}), ['new_password']);
    const missing = await failure(laptop.changePassword(PASSWORD, undefined as unknown as string));
    assert.deepEqual(missing?.fields, { new_password: ['This field is required.'] });

    const phoneToken = await phone.getAccessToken();
    const phoneLoggedOut = nextLogout(phone);
    await laptop.changePassword(PASSWORD, NEW_PASSWORD);
    // This login keeps working, its refresh token too (the clock jump forces a refresh).
    assert.equal((await laptop.fetch('/api/me/')).status, 200);
    ahead();
    assert.equal((await laptop.fetch('/api/me/')).status, 200);
    assert.ok(laptop.isLoggedIn());
    // The other login ended at once: its access token is refused, then its refresh token.
    assert.equal(await meStatus(phoneToken), 401);
    assert.equal((await phone.fetch('/api/me/')).status, 401);
    assert.equal(await phoneLoggedOut, 'expired');

    assert.equal(await code(client().login('frank', PASSWORD)), 'no_active_account');
    await client().login('frank', NEW_PASSWORD);
  });

  it('listSessions lists the live logins newest first and marks the caller\'s (its access token\'s sid)', async () => {
    const { laptop, phone } = (await devices('grace', ['laptop', 'phone'])).device;
    const seen = await laptop.listSessions();
    assert.deepEqual(
      seen.map((session) => [session.id, session.current]),
      [
        [phone.claims()?.sid, false],
        [laptop.claims()?.sid, true],
      ],
    );
    for (const session of seen) {
      assert.ok(Number.isFinite(Date.parse(session.created_at)), session.created_at);
      assert.ok(Number.isFinite(Date.parse(session.last_used_at)), session.last_used_at);
      assert.ok(session.user_agent === null || typeof session.user_agent === 'string');
      assert.ok(session.ip === null || session.ip.includes('127.0.0.1'), String(session.ip));
    }
    assert.deepEqual(
      (await phone.listSessions()).map((session) => session.current),
      [true, false],
    );
    const { other } = (await devices('heidi', ['other'])).device;
    assert.equal((await other.listSessions()).length, 1, "another user's logins are not listed");
  });

  it('revokeSession ends another device at once; an unknown id or another user\'s is not_found', async () => {
    const { laptop, phone } = (await devices('ivan', ['laptop', 'phone'])).device;
    const phoneId = phone.claims()?.sid ?? '';
    const phoneToken = await phone.getAccessToken();
    const phoneLoggedOut = nextLogout(phone);
    await laptop.revokeSession(phoneId);
    assert.equal(await meStatus(phoneToken), 401, 'the access token is refused at once');
    assert.equal((await phone.fetch('/api/me/')).status, 401);
    assert.equal(await phoneLoggedOut, 'expired');
    assert.deepEqual(
      (await laptop.listSessions()).map((session) => [session.id, session.current]),
      [[laptop.claims()?.sid, true]],
    );

    assert.equal(await code(laptop.revokeSession('no-such-session')), 'not_found');
    const { stranger } = (await devices('judy', ['stranger'])).device;
    const error = await failure(stranger.revokeSession(laptop.claims()?.sid ?? ''));
    assert.equal(error?.code, 'not_found');
    assert.equal(error?.status, 404);
    assert.equal((await laptop.fetch('/api/me/')).status, 200, "a stranger cannot end someone else's login");
  });

  it('revokeSession of the caller\'s own session signs it out', async () => {
    const { laptop } = (await devices('kate', ['laptop'])).device;
    const token = await laptop.getAccessToken();
    const loggedOut = nextLogout(laptop);
    await laptop.revokeSession(laptop.claims()?.sid ?? '');
    assert.equal(await loggedOut, 'user');
    assert.equal(laptop.isLoggedIn(), false);
    assert.equal(await meStatus(token), 401);
  });

  it('revokeOtherSessions ends every other device and keeps this one, refresh token included', async () => {
    const { device, ahead } = await devices('leo', ['laptop', 'phone', 'tablet']);
    const { laptop, phone, tablet } = device;
    await laptop.revokeOtherSessions();
    for (const other of [phone, tablet]) {
      const loggedOut = nextLogout(other);
      assert.equal((await other.fetch('/api/me/')).status, 401);
      assert.equal(await loggedOut, 'expired');
    }
    ahead();
    assert.equal((await laptop.fetch('/api/me/')).status, 200);
    assert.equal((await laptop.listSessions()).length, 1);
  });

  it('deleteAccount checks the password, then every login ends and the account cannot sign in', async () => {
    const { laptop, phone } = (await devices('mallory', ['laptop', 'phone'])).device;
    const wrong = await failure(laptop.deleteAccount('not the password'));
    assert.equal(wrong?.code, 'invalid');
    assert.deepEqual(wrong?.fields, { current_password: ['Invalid password.'] });
    assert.ok(laptop.isLoggedIn());

    const laptopToken = await laptop.getAccessToken();
    const phoneToken = await phone.getAccessToken();
    const loggedOut = nextLogout(laptop);
    await laptop.deleteAccount(PASSWORD);
    assert.equal(await loggedOut, 'account_deleted');
    assert.equal(laptop.isLoggedIn(), false);
    assert.equal(await meStatus(laptopToken), 401);
    assert.equal(await meStatus(phoneToken), 401);
    assert.equal((await phone.fetch('/api/me/')).status, 401);
    assert.equal(phone.isLoggedIn(), false);
    assert.equal(await code(client().login('mallory', PASSWORD)), 'no_active_account');
  });
});
