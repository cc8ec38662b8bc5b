// Guessing, spraying and sign-up floods: the per-account backoff (with its exemption for known
// addresses and browsers), the per-address limits, the counters they share, and the bound on
// password hashing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isGatehouseError } from '../src/errors.js';
import { loginGuard } from '../src/http/login-guard.js';
import { addressKey } from '../src/limits/address-key.js';
import { MemoryCounterStore } from '../src/limits/counter-store.js';
import { BoundedPasswordHasher } from '../src/users/bounded-password-hasher.js';
import { PasswordHasher } from '../src/users/password-hasher.js';
import { DIALECTS } from './support/databases.js';
import { httpCall } from './support/http-call.js';
import { spawnServer } from './support/spawn-server.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const PASSWORD = 'correct horse battery';
const unique = (prefix: string): string => `${prefix}_${randomUUID().slice(0, 8)}`;

describe('addressKey', () => {
  it('keeps IPv4 whole, folds IPv6 to its /64, and reads IPv4-mapped addresses as IPv4', () => {
    assert.equal(addressKey('203.0.113.7'), '203.0.113.7');
    assert.equal(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0db8:0001:0002:ffff::'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('::ffff:198.51.100.4'), '198.51.100.4');
    assert.equal(addressKey(undefined), 'unknown');
  });
});

describe('MemoryCounterStore', () => {
  it('counts in a window from the first hit, and marks replace counts', async () => {
    let now = 0;
    const counters = new MemoryCounterStore({ now: () => now });
    assert.deepEqual(await counters.hit('k', 100), { count: 1, ttlMs: 100 });
    now = 40;
    assert.deepEqual(await counters.hit('k', 100), { count: 2, ttlMs: 60 });
    assert.deepEqual(await counters.peek('k'), { count: 2, ttlMs: 60 });
    now = 100;
    assert.deepEqual(await counters.peek('k'), { count: 0, ttlMs: 0 }, 'the window ended');
    assert.deepEqual(await counters.hit('k', 100), { count: 1, ttlMs: 100 });
    await counters.mark('k', 5);
    assert.deepEqual(await counters.peek('k'), { count: 1, ttlMs: 5 });
  });

  it('forgets the oldest keys past its limit', async () => {
    const counters = new MemoryCounterStore({ limit: 2 });
    await counters.hit('a', 1000);
    await counters.hit('b', 1000);
    await counters.hit('c', 1000);
    assert.equal((await counters.peek('a')).count, 0);
    assert.equal((await counters.peek('c')).count, 1);
  });
});

describe('login guard, with a frozen clock', () => {
  /** Requests and replies as the guard reads them: an address, a cookie header, a header setter. */
  function fakeRequest(ip: string, cookie?: string): FastifyRequest {
    return { ip, protocol: 'https', headers: cookie === undefined ? {} : { cookie } } as unknown as FastifyRequest;
  }
  function fakeReply(): FastifyReply & { headers: Record<string, string> } {
    const headers: Record<string, string> = {};
    return { headers, header: (name: string, value: string) => void (headers[name] = value) } as unknown as FastifyReply & { headers: Record<string, string> };
  }

  it('lets at most 100 guesses an hour at one account through, from ever-new addresses (ASVS)', async () => {
    let now = 0;
    const guard = loginGuard({
      counters: new MemoryCounterStore({ now: () => now }),
      account: { max: 10, windowSeconds: 900 },
      address: { max: 0, windowSeconds: 0 },
    });
    let guesses = 0;
    for (let attempt = 0; now < 3_600_000; attempt += 1) {
      const reply = fakeReply();
      try {
        await guard.check(fakeRequest(`198.51.100.${attempt % 250}`), reply, 'victim');
      } catch (error) {
        assert.ok(isGatehouseError(error) && error.code === 'rate_limited');
        now += Number(reply.headers['retry-after']) * 1000; // the attacker waits exactly as told
        continue;
      }
      guesses += 1;
      await guard.failed(fakeRequest(`198.51.100.${attempt % 250}`), 'victim');
      now += 10; // as fast as the server answers
    }
    assert.ok(guesses <= 100, `${guesses} guesses in an hour`);
    assert.ok(guesses >= 10, 'the first ones are not slowed');
  });

  it('doubles the wait with each further failure, from 1 s, and lets it expire', async () => {
    let now = 0;
    const guard = loginGuard({ counters: new MemoryCounterStore({ now: () => now }), account: { max: 2, windowSeconds: 900 }, address: { max: 0, windowSeconds: 0 } });
    const retryAfter = async (): Promise<string> => {
      const reply = fakeReply();
      await guard.check(fakeRequest('198.51.100.2'), reply, 'victim').catch(() => undefined);
      return reply.headers['retry-after'] ?? '-';
    };
    const seen: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      await guard.failed(fakeRequest('198.51.100.1'), 'victim');
      seen.push(await retryAfter());
    }
    assert.deepEqual(seen, ['-', '1', '2', '4', '8']);
    now += 8_000;
    assert.equal(await retryAfter(), '-', 'the wait is over');
  });
});

for (const dialect of DIALECTS) {
  describe(`abuse limits over HTTP (${dialect})`, { timeout: 60_000 }, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect, {
        loginRateLimit: { max: 0, windowSeconds: 0 },
        loginAccountLimit: { max: 3, windowSeconds: 900 },
        loginAddressLimit: { max: 5, windowSeconds: 900 },
        signupRateLimit: { max: 3, windowSeconds: 3600 },
      });
    });
    after(async () => {
      await t?.close();
    });

    /** A login as if from `address` (the test client is a trusted proxy that forwards it). */
    function loginFrom(address: string, username: string, password: string, cookie?: string) {
      const headers: Record<string, string> = { 'x-forwarded-for': address };
      if (cookie !== undefined) headers['cookie'] = cookie;
      return t.request('POST', '/api/token/', { username, password }, headers);
    }

    let signUps = 0;
    /** A user signed up from an address of its own, so sign-up limits stay out of the way. */
    async function newUser(): Promise<string> {
      const username = unique('acct');
      signUps += 1;
      const response = await t.request('POST', '/api/users/', { username, password: PASSWORD }, { 'x-forwarded-for': `10.${dialect.length}.${signUps >> 8}.${signUps & 255}` });
      assert.equal(response.statusCode, 201, response.body);
      return username;
    }

    it('slows guessing at one account from many addresses, but not its owner\'s known address or browser', async () => {
      const username = await newUser();
      const home = await loginFrom('203.0.113.50', username, PASSWORD);
      assert.equal(home.statusCode, 200);
      const deviceCookie = String(home.headers['set-cookie'] ?? '').split(';')[0] ?? '';
      assert.match(deviceCookie, /^gatehouse_device=[0-9a-f]{32}$/);
      assert.match(String(home.headers['set-cookie']), /HttpOnly/i);

      for (let i = 1; i <= 3; i += 1) assert.equal((await loginFrom(`198.51.100.${i}`, username, 'wrong password!')).statusCode, 401);
      const slowed = await loginFrom('198.51.100.9', username, PASSWORD);
      assert.equal(slowed.statusCode, 429, 'even the right password waits, from an unknown address');
      assert.equal(slowed.json<{ code: string }>().code, 'rate_limited');
      assert.ok(Number(slowed.headers['retry-after']) >= 1);

      assert.equal((await loginFrom('203.0.113.50', username, PASSWORD)).statusCode, 200, 'the owner\'s known address is exempt');
      assert.equal((await loginFrom('198.51.100.77', username, PASSWORD, deviceCookie)).statusCode, 200, 'so is the owner\'s browser');
      assert.equal((await loginFrom('198.51.100.78', username, PASSWORD, 'gatehouse_device=00000000000000000000000000000000')).statusCode, 429, 'a made-up device id is not');
    });

    it('limits failed logins per address across usernames, counting an IPv6 /64 as one address', async () => {
      const names = [];
      for (let i = 0; i < 6; i += 1) names.push(await newUser());
      for (const [i, name] of names.slice(0, 5).entries()) {
        assert.equal((await loginFrom(`2001:db8:${dialect.length}:7::${i + 1}`, name, 'Spring2026!')).statusCode, 401);
      }
      const sprayed = await loginFrom(`2001:db8:${dialect.length}:7:ffff::1`, names[5] ?? '', 'Spring2026!');
      assert.equal(sprayed.statusCode, 429);
      assert.ok(Number(sprayed.headers['retry-after']) >= 1);
      assert.equal((await loginFrom(`2001:db8:${dialect.length}:8::1`, names[5] ?? '', PASSWORD)).statusCode, 200, 'the next /64 is another address');
    });

    it('limits sign-ups per address', async () => {
      const from = `2001:db8:${dialect.length}:9::1`;
      const signUp = (address: string) => t.request('POST', '/api/users/', { username: unique('flood'), password: PASSWORD }, { 'x-forwarded-for': address });
      for (let i = 0; i < 3; i += 1) assert.equal((await signUp(from)).statusCode, 201);
      const flooded = await signUp(`2001:db8:${dialect.length}:9::2`);
      assert.equal(flooded.statusCode, 429, 'the same /64');
      assert.equal(flooded.json<{ code: string }>().code, 'rate_limited');
      assert.equal((await signUp(`192.0.2.${30 + DIALECTS.indexOf(dialect)}`)).statusCode, 201);
    });
  });
}

describe('introspection', () => {
  it('limits failed client authentications per address', async () => {
    const secret = 'introspection-secret-1234';
    const t = await startTestApp('sqlite', { introspectionClients: [`orders:${secret}`], introspectionFailureLimit: { max: 3, windowSeconds: 900 } });
    try {
      const basic = (password: string) => `Basic ${Buffer.from(`orders:${password}`).toString('base64')}`;
      const introspect = (password: string, address: string) =>
        t.app.inject({ method: 'POST', url: '/oauth/introspect', payload: 'token=abc', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(password), 'x-forwarded-for': address } });
      for (let i = 0; i < 3; i += 1) assert.equal((await introspect('guess-guess-guess', '198.51.100.60')).statusCode, 401);
      const limited = await introspect(secret, '198.51.100.60');
      assert.equal(limited.statusCode, 429, 'even the right secret waits, from that address');
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      assert.equal((await introspect(secret, '198.51.100.61')).statusCode, 200);
    } finally {
      await t.close();
    }
  });
});

describe('limits off', () => {
  it('lets every attempt through with 0', async () => {
    const t = await startTestApp('sqlite', {
      loginRateLimit: { max: 0, windowSeconds: 0 },
      loginAccountLimit: { max: 0, windowSeconds: 0 },
      loginAddressLimit: { max: 0, windowSeconds: 0 },
      signupRateLimit: { max: 0, windowSeconds: 0 },
    });
    try {
      const username = unique('open');
      for (let i = 0; i < 15; i += 1) assert.equal((await t.request('POST', '/api/users/', { username: `${username}${i}`, password: PASSWORD })).statusCode, 201);
      for (let i = 0; i < 40; i += 1) assert.equal((await t.request('POST', '/api/token/', { username, password: 'wrong password!' })).statusCode, 401);
      assert.equal((await t.request('POST', '/api/token/', { username: `${username}0`, password: PASSWORD })).statusCode, 200);
    } finally {
      await t.close();
    }
  });
});

describe('password hashing bound', () => {
  it('runs at most its concurrency at once, lets a bounded number wait in order, and refuses the rest at once', async () => {
    const hasher = new BoundedPasswordHasher({ memoryKib: 1024, iterations: 1, parallelism: 1 }, { concurrency: 1, waiting: 2 });
    const running = [hasher.hash('one password'), hasher.hash('two password'), hasher.hash('three password')];
    assert.equal(hasher.inFlight, 3, 'one running, two waiting');
    await assert.rejects(hasher.check('$argon2id$whatever', 'four'), (error: unknown) => isGatehouseError(error) && error.code === 'service_unavailable');
    await assert.rejects(hasher.checkDummy('five'), (error: unknown) => isGatehouseError(error) && error.code === 'service_unavailable');
    const hashes = await Promise.all(running);
    assert.equal(hasher.inFlight, 0);
    assert.equal((await hasher.check(hashes[2] ?? '', 'three password')).matches, true, 'the waiting ones ran');
  });

  it('never runs more than its concurrency at once, and runs everything that waited', async (t) => {
    let running = 0;
    let most = 0;
    // The argon2 call itself, observed: how many run at the same moment.
    t.mock.method(PasswordHasher.prototype, 'hash', async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return 'hashed';
    });
    const hasher = new BoundedPasswordHasher({ memoryKib: 1024, iterations: 1, parallelism: 1 }, { concurrency: 2, waiting: 0 });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => hasher.hash(`password number ${i}`)));
    assert.equal(most, 2);
    assert.equal(results.length, 12, 'nothing refused without a waiting limit');
    assert.equal(hasher.inFlight, 0);
  });

  it('answers a login flood with 200s and quick 503s with Retry-After, never a 500', async () => {
    const t = await startTestApp('sqlite', { hashQueueLimit: 2, loginRateLimit: { max: 0, windowSeconds: 0 }, loginAccountLimit: { max: 0, windowSeconds: 0 }, loginAddressLimit: { max: 0, windowSeconds: 0 } });
    try {
      const username = unique('flood');
      assert.equal((await t.request('POST', '/api/users/', { username, password: PASSWORD })).statusCode, 201);
      const answers = await Promise.all(Array.from({ length: 12 }, () => t.request('POST', '/api/token/', { username, password: PASSWORD })));
      const statuses = answers.map((a) => a.statusCode);
      assert.ok(statuses.every((s) => s === 200 || s === 503), String(statuses));
      assert.ok(statuses.includes(200) && statuses.includes(503), String(statuses));
      const refused = answers.find((a) => a.statusCode === 503);
      assert.equal(refused?.json<{ code: string }>().code, 'service_unavailable');
      assert.equal(refused?.headers['retry-after'], '1');
    } finally {
      await t.close();
    }
  });
});

describe('limits shared by the workers of a node without Redis', () => {
  it('counts failed logins once for the node, whichever worker answers', async () => {
    const server = await spawnServer({ GATEHOUSE_WORKERS: '2', GATEHOUSE_LOGIN_ACCOUNT_LIMIT: '4/15m', GATEHOUSE_LOGIN_RATE_LIMIT: '0' });
    try {
      const username = unique('shared');
      // A connection each (httpCall's default): the primary hands them to its workers in turn.
      const post = (path: string, json: unknown, address: string) => httpCall(`${server.baseUrl}${path}`, { json, headers: { 'x-forwarded-for': address } });
      assert.equal((await post('/api/users/', { username, password: PASSWORD }, '192.0.2.200')).status, 201);
      const statuses: number[] = [];
      for (let i = 1; i <= 5; i += 1) statuses.push((await post('/api/token/', { username, password: 'wrong password!' }, `198.51.100.${i}`)).status);
      // Counted per worker, each would have seen two or three failures: no lock yet.
      assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
    } finally {
      await server.stop();
    }
  });
});
