import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from './support/test-app.js';

const PASSWORD = 'password-1234';
const ALLOWED = 'https://app.example.test';

function cookiesOf(header: string | string[] | undefined): string[] {
  return header === undefined ? [] : [header].flat();
}

function refreshCookieValue(header: string | string[] | undefined): string {
  const cookie = cookiesOf(header).find((c) => c.startsWith('gatehouse_refresh='));
  assert.ok(cookie, 'a refresh cookie is set');
  return cookie.slice('gatehouse_refresh='.length).split(';', 1)[0] ?? '';
}

describe('cookie mode (GATEHOUSE_REFRESH_COOKIE=on) and CORS', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite', { refreshCookie: true, corsOrigins: [ALLOWED] });
    await t.request('POST', '/api/users/', { username: 'cookie', password: PASSWORD });
  });
  after(async () => {
    await t?.close();
  });

  /** Logins set the cookie, so they pass the same CSRF check as refresh and logout. */
  const CSRF = { 'x-requested-with': 'gatehouse' };

  async function login(): Promise<{ access: string; refresh: string }> {
    const response = await t.request('POST', '/api/token/', { username: 'cookie', password: PASSWORD }, CSRF);
    assert.equal(response.statusCode, 200);
    return { access: response.json().access, refresh: refreshCookieValue(response.headers['set-cookie']) };
  }

  it('keeps the refresh token out of the body, in an HttpOnly Secure SameSite=Strict cookie on the refresh and logout paths', async () => {
    const response = await t.request('POST', '/api/token/', { username: 'cookie', password: PASSWORD }, CSRF);
    assert.deepEqual(Object.keys(response.json()), ['access']);
    const cookies = cookiesOf(response.headers['set-cookie']);
    assert.deepEqual(cookies.map((c) => /Path=([^;]+)/.exec(c)?.[1]).sort(), ['/api/token/blacklist', '/api/token/refresh']);
    for (const cookie of cookies) {
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /Secure/);
      assert.match(cookie, /SameSite=Strict/);
    }
  });

  it('refreshes from the cookie with the CSRF header, rotating the cookie', async () => {
    const { refresh } = await login();
    const response = await t.request('POST', '/api/token/refresh/', undefined, { cookie: `gatehouse_refresh=${refresh}`, 'x-requested-with': 'gatehouse' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(Object.keys(response.json()), ['access']);
    assert.notEqual(refreshCookieValue(response.headers['set-cookie']), refresh);
  });

  it('refuses cookie refreshes without the CSRF header or from a foreign origin', async () => {
    const { refresh } = await login();
    const noHeader = await t.request('POST', '/api/token/refresh/', undefined, { cookie: `gatehouse_refresh=${refresh}` });
    assert.equal(noHeader.statusCode, 403);
    assert.equal(noHeader.json().code, 'csrf_failed');
    const foreign = await t.request('POST', '/api/token/refresh/', undefined, {
      cookie: `gatehouse_refresh=${refresh}`,
      'x-requested-with': 'gatehouse',
      origin: 'https://evil.example.test',
    });
    assert.equal(foreign.statusCode, 403);
    assert.equal(foreign.json().code, 'csrf_failed');
    const allowed = await t.request('POST', '/api/token/refresh/', undefined, { cookie: `gatehouse_refresh=${refresh}`, 'x-requested-with': 'gatehouse', origin: ALLOWED });
    assert.equal(allowed.statusCode, 200);
  });

  it('refuses logins without the CSRF header or from a foreign origin (login CSRF), setting no cookie', async () => {
    const noHeader = await t.request('POST', '/api/token/', { username: 'cookie', password: PASSWORD });
    assert.equal(noHeader.statusCode, 403);
    assert.equal(noHeader.json().code, 'csrf_failed');
    assert.equal(noHeader.headers['set-cookie'], undefined);
    const foreign = await t.request('POST', '/api/token/', { username: 'cookie', password: PASSWORD }, { ...CSRF, origin: 'https://evil.example.test' });
    assert.equal(foreign.statusCode, 403);
    assert.equal(foreign.json().code, 'csrf_failed');
  });

  it('logs out from the cookie and clears it', async () => {
    const { refresh } = await login();
    const response = await t.request('POST', '/api/token/blacklist/', undefined, { cookie: `gatehouse_refresh=${refresh}`, 'x-requested-with': 'gatehouse' });
    assert.equal(response.statusCode, 200);
    for (const cookie of cookiesOf(response.headers['set-cookie'])) assert.match(cookie, /Max-Age=0/);
    const again = await t.request('POST', '/api/token/refresh/', undefined, { cookie: `gatehouse_refresh=${refresh}`, 'x-requested-with': 'gatehouse' });
    assert.equal(again.statusCode, 401);
  });

  it('takes its own origin from the Host header, never from a forwarded host', async () => {
    const fromHost = await t.request('POST', '/api/token/', { username: 'cookie', password: PASSWORD }, { ...CSRF, host: 'auth.example.test', origin: 'http://auth.example.test' });
    assert.equal(fromHost.statusCode, 200);
    const forged = await t.request('POST', '/api/token/', { username: 'cookie', password: PASSWORD }, {
      ...CSRF,
      host: 'auth.example.test',
      'x-forwarded-host': 'evil.example.test',
      origin: 'http://evil.example.test',
    });
    assert.equal(forged.statusCode, 403);
    assert.equal(forged.json<{ code: string }>().code, 'csrf_failed');
  });

  it('answers CORS only for allowed origins, with credentials', async () => {
    const preflight = (origin: string) =>
      t.app.inject({
        method: 'OPTIONS',
        url: '/api/token/refresh/',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-requested-with' },
      });
    const ok = await preflight(ALLOWED);
    assert.equal(ok.headers['access-control-allow-origin'], ALLOWED);
    assert.equal(ok.headers['access-control-allow-credentials'], 'true');
    const other = await preflight('https://evil.example.test');
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });
});

describe('cookie mode with GATEHOUSE_PUBLIC_URL', () => {
  it('takes its own origin from the configured URL', async () => {
    const t = await startTestApp('sqlite', { refreshCookie: true, publicUrl: 'https://auth.example.test/gatehouse' });
    try {
      await t.request('POST', '/api/users/', { username: 'configured', password: PASSWORD });
      const login = (origin: string) => t.request('POST', '/api/token/', { username: 'configured', password: PASSWORD }, { 'x-requested-with': 'gatehouse', origin });
      assert.equal((await login('https://auth.example.test')).statusCode, 200);
      assert.equal((await login('http://localhost:80')).statusCode, 403, 'the request\'s own host is not the configured origin');
    } finally {
      await t.close();
    }
  });
});
