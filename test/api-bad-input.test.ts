import fc from 'fast-check';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from './support/test-app.js';

const ENDPOINTS = ['/api/token/', '/api/token/refresh/', '/api/token/verify/', '/api/token/blacklist/', '/api/users/'];

/** Sends raw bytes and returns the raw response (the server closes or answers within 5 s). */
function rawRequest(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    }, 5000);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (Buffer.concat(chunks).toString('latin1').includes('\r\n\r\n{')) {
        // Wait for the rest of a small JSON body.
        setTimeout(() => socket.end(), 50);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.on('error', reject);
    socket.write(bytes);
  });
}

function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
}

function jsonBodyOf(raw: string): Record<string, unknown> {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

describe('bad input gets a 4xx JSON answer, never a 500', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp('sqlite');
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  after(async () => {
    await t?.close();
  });

  it('malformed JSON is 400 parse_error without echoing the body', async () => {
    const secret = 'hunter2-do-not-echo';
    const response = await t.request('POST', '/api/token/', `{"username":"a","password":"${secret}"`, { 'content-type': 'application/json' });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'parse_error');
    assert.ok(!response.body.includes(secret));
  });

  it('missing, null, blank and wrongly typed fields are reported per field', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ username: 'a' }, 'password', 'This field is required.'],
      [{ username: 'a', password: null }, 'password', 'This field may not be null.'],
      [{ username: '', password: 'x' }, 'username', 'This field may not be blank.'],
      // DRF's CharField takes numbers as text (a number is just a wrong password), not booleans.
      [{ username: 'a', password: true }, 'password', 'Not a valid string.'],
      [{ username: ['a'], password: 'x' }, 'username', 'Not a valid string.'],
      [{ username: { a: 1 }, password: 'x' }, 'username', 'Not a valid string.'],
      [{ username: 'a\u0000b', password: 'x' }, 'username', 'Null characters are not allowed.'],
    ];
    for (const [body, field, message] of cases) {
      const response = await t.request('POST', '/api/token/', body);
      assert.equal(response.statusCode, 400);
      assert.deepEqual(response.json()[field], [message]);
    }
    const numeric = await t.request('POST', '/api/token/', { username: 'a', password: 12 });
    assert.equal(numeric.statusCode, 401);
    assert.deepEqual(Object.keys(numeric.json()), ['detail']); // simplejwt's no_active_account body
    const list = await t.request('POST', '/api/token/', '[1,2]', { 'content-type': 'application/json' });
    assert.equal(list.statusCode, 400);
    assert.ok(Array.isArray(list.json().non_field_errors));
    const empty = await t.request('POST', '/api/token/', '', { 'content-type': 'application/json' });
    assert.equal(empty.statusCode, 400);
    assert.deepEqual(Object.keys(empty.json()).sort(), ['password', 'username']);
  });

  it('a 10 MB body is refused with 413 payload_too_large', async () => {
    const response = await t.request('POST', '/api/token/', JSON.stringify({ username: 'a', password: 'x'.repeat(10 * 1024 * 1024) }), {
      'content-type': 'application/json',
    });
    assert.equal(response.statusCode, 413);
    assert.equal(response.json().code, 'payload_too_large');
  });

  it('an unsupported media type is 415', async () => {
    const response = await t.request('POST', '/api/token/', 'username=a', { 'content-type': 'text/plain' });
    assert.equal(response.statusCode, 415);
    assert.equal(response.json().code, 'unsupported_media_type');
  });

  it('a 100 KB token in the body or the header is refused as JSON', async () => {
    const huge = 'a'.repeat(100 * 1024);
    const inBody = await t.request('POST', '/api/token/refresh/', { refresh: huge });
    assert.ok(inBody.statusCode >= 400 && inBody.statusCode < 500);
    assert.equal(typeof inBody.json().code, 'string');
    const raw = await rawRequest(port, Buffer.from(`GET /api/me/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${huge}\r\n\r\n`));
    assert.equal(statusOf(raw), 431);
    assert.equal(jsonBodyOf(raw).code, 'header_too_large');
    const longButFits = await t.request('GET', '/api/me/', undefined, { authorization: `Bearer ${'a.b.c'.repeat(2000)}` });
    assert.equal(longButFits.statusCode, 401);
  });

  it('binary garbage in the Authorization header is a 4xx JSON answer', async () => {
    const garbage = Buffer.concat([Buffer.from('GET /api/me/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer '), Buffer.from([0x00, 0xff, 0x01, 0x7f, 0xc3, 0x28]), Buffer.from('\r\n\r\n')]);
    const raw = await rawRequest(port, garbage);
    assert.ok(statusOf(raw) >= 400 && statusOf(raw) < 500, raw.slice(0, 40));
    assert.equal(typeof jsonBodyOf(raw).detail, 'string');
    const latin1 = Buffer.concat([Buffer.from('GET /api/me/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer '), Buffer.from([0xff, 0xfe, 0xe9]), Buffer.from('\r\n\r\n')]);
    const rawLatin1 = await rawRequest(port, latin1);
    assert.equal(statusOf(rawLatin1), 401);
    assert.equal(jsonBodyOf(rawLatin1).code, 'token_not_valid');
  });

  it('unknown routes are 404 and wrong methods 405, both JSON', async () => {
    const unknown = await t.request('GET', '/api/nothing-here/');
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().code, 'not_found');
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const response = await t.request(method, '/api/token/');
      assert.equal(response.statusCode, 405);
      assert.deepEqual(response.json(), { detail: `Method "${method}" not allowed.` });
    }
    assert.equal((await t.request('POST', '/api/me/')).statusCode, 405);
  });

  it('malformed Authorization headers are 401 JSON', async () => {
    for (const header of ['Bearer', 'Bearer a b', 'Bearer not.a.jwt', 'Basic abc', 'Bearer ....', `Bearer ${'x'.repeat(9000)}`]) {
      const response = await t.request('GET', '/api/me/', undefined, { authorization: header });
      assert.equal(response.statusCode, 401, header.slice(0, 20));
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="api"');
      assert.equal(typeof response.json().detail, 'string');
    }
  });

  it('random JSON bodies never produce a 5xx (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), fc.jsonValue(), async (path, body) => {
        const response = await t.request('POST', path, JSON.stringify(body), { 'content-type': 'application/json' });
        assert.ok(response.statusCode >= 200 && response.statusCode < 500, `${path} → ${response.statusCode}`);
        assert.equal(typeof response.json(), 'object');
      }),
      { numRuns: 150 },
    );
  });

  it('random Authorization headers never produce a 5xx (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary-ascii', maxLength: 200 }), async (header) => {
        const clean = header.replace(/[\r\n\0]/g, '');
        const response = await t.request('GET', '/api/me/', undefined, { authorization: clean });
        assert.ok(response.statusCode === 401 || response.statusCode === 400, `${response.statusCode}`);
      }),
      { numRuns: 200 },
    );
  });
});
