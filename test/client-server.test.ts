import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, GatehouseClientError } from '../client/index.js';
import type { ClientOptions, GatehouseClient, TokenStorage } from '../client/index.js';
import { spawnServer } from './support/spawn-server.js';
import type { SpawnedServer } from './support/spawn-server.js';

// The SDK against the real server: rotation with reuse detection makes a second refresh with the
// same token revoke the session, so "still signed in" proves single flight end to end.

const PASSWORD = 'long enough password';
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
    const created = createClient({ baseUrl: server.baseUrl, autoRefresh: false, ...options });
    clients.push(created);
    return created;
  }

  async function code(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof GatehouseClientError) return error.code;
      throw error;
    }
    return 'no error';
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
      return fetch(input, init);
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
    const response = await fetch(`${server.baseUrl}/api/token/refresh/`, {
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
});
