// GET /api/me/ over a real socket is answered before Fastify routes it when the store can tell the
// session's state at once (SQLite; PostgreSQL once its session-state view remembers the login).
// Those answers must be the route's own, byte for byte, and every refusal must still get the
// route's full answer.
import assert from 'node:assert/strict';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { clientOrigin } from '../src/http/client-origin.js';
import { meFastPath } from '../src/http/me-fast-path.js';
import { requestIdGenerator } from '../src/http/request-id.js';
import { RequestLog, requestRecorder } from '../src/http/request-log.js';
import { DIALECTS } from './support/databases.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const PASSWORD = 'correct horse battery';
let counter = 0;
const unique = (prefix: string): string => `${prefix}${++counter}_${process.pid}`;

/** Headers that differ between two answers for reasons of time and connection only. */
const VOLATILE = new Set(['date', 'connection', 'keep-alive']);

function stableHeaders(headers: Headers | Record<string, unknown>): Record<string, string> {
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers).map(([k, v]) => [k, String(v)] as const);
  return Object.fromEntries(entries.filter(([name]) => !VOLATILE.has(name.toLowerCase())).map(([k, v]) => [k.toLowerCase(), v]));
}

for (const dialect of DIALECTS) describe(`GET /api/me/ fast path (${dialect}, over HTTP)`, () => {
  let t: TestApp;
  let base: string;
  let authStateCalls = 0;

  before(async () => {
    t = await startTestApp(dialect);
    // Counts the store's asynchronous read, the one only Fastify's route makes.
    const store = t.runtime.store as { authState: (...args: never[]) => unknown };
    const original = store.authState.bind(store);
    store.authState = (...args: never[]) => {
      authStateCalls += 1;
      return original(...args);
    };
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await t?.close();
  });

  async function newLogin(): Promise<{ id: number; access: string; refresh: string }> {
    const username = unique('fast');
    const created = await t.request('POST', '/api/users/', { username, password: PASSWORD });
    assert.equal(created.statusCode, 201);
    const login = { id: created.json<{ id: number }>().id, ...(await t.login(username, PASSWORD)) };
    await untilFastPathAnswers(login.access);
    return login;
  }

  /**
   * SQLite answers at once; PostgreSQL once its LISTEN connection is up and the route's read of
   * this login was remembered. Fails if the fast path never takes the request.
   */
  async function untilFastPathAnswers(access: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      authStateCalls = 0;
      const response = await fetch(`${base}/api/me/`, { headers: { authorization: `Bearer ${access}` } });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
      if (authStateCalls === 0) return;
      assert.ok(Date.now() < deadline, 'the fast path never answered');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The same request over the socket and through Fastify's route (inject); both answers. */
  async function bothWays(path: string, access: string): Promise<{ socket: Response; socketBody: string; route: Awaited<ReturnType<TestApp['request']>> }> {
    const headers = { authorization: `Bearer ${access}` };
    const socket = await fetch(`${base}${path}`, { headers });
    return { socket, socketBody: await socket.text(), route: await t.request('GET', path, undefined, headers) };
  }

  it('answers a valid token without the route, with the route\'s status, headers and body', async () => {
    const { access } = await newLogin();
    for (const path of ['/api/me/', '/api/me']) {
      authStateCalls = 0;
      const { socket, socketBody, route } = await bothWays(path, access);
      assert.equal(authStateCalls, 1, 'only the injected request went through the route');
      assert.equal(socket.status, 200);
      assert.equal(socket.status, route.statusCode);
      assert.equal(socketBody, route.body);
      assert.deepEqual(stableHeaders(socket.headers), stableHeaders(route.headers));
    }
  });

  it('leaves a query string, another method and a missing or malformed header to the route', async () => {
    const { access } = await newLogin();
    authStateCalls = 0;
    const withQuery = await fetch(`${base}/api/me/?x=1`, { headers: { authorization: `Bearer ${access}` } });
    assert.equal(withQuery.status, 200);
    await withQuery.arrayBuffer();
    assert.equal(authStateCalls, 1);
    const post = await fetch(`${base}/api/me/`, { method: 'POST', headers: { authorization: `Bearer ${access}` } });
    assert.equal(post.status, 405);
    assert.deepEqual(await post.json(), { detail: 'Method "POST" not allowed.' });
    const none = await fetch(`${base}/api/me/`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="api"');
    assert.deepEqual(await none.json(), { detail: 'Authentication credentials were not provided.' });
    const twoValues = await fetch(`${base}/api/me/`, { headers: { authorization: `Bearer ${access} extra` } });
    assert.equal(twoValues.status, 401);
    assert.equal((await twoValues.json() as { code: string }).code, 'bad_authorization_header');
  });

  it('gives every refusal the route\'s full answer: bad token, logout, deactivation', async () => {
    const login = await newLogin();
    const check = async (access: string, expectedMessage: string): Promise<void> => {
      const { socket, socketBody, route } = await bothWays('/api/me/', access);
      assert.equal(socket.status, 401);
      assert.equal(route.statusCode, 401);
      assert.equal(socketBody, route.body);
      assert.deepEqual(stableHeaders(socket.headers), stableHeaders(route.headers));
      const body = JSON.parse(socketBody) as { detail: string; messages?: Array<{ message: string }> };
      assert.equal(body.messages?.[0]?.message ?? body.detail, expectedMessage);
    };
    await check(`${login.access.slice(0, -2)}AA`, 'Token is invalid or expired');
    // Answered by the fast path once, so the session state is cached: logout must still win.
    assert.equal((await fetch(`${base}/api/me/`, { headers: { authorization: `Bearer ${login.access}` } })).status, 200);
    assert.equal((await t.request('POST', '/api/token/blacklist/', { refresh: login.refresh })).statusCode, 200);
    await check(login.access, 'Token is blacklisted');

    const other = await newLogin();
    assert.equal((await fetch(`${base}/api/me/`, { headers: { authorization: `Bearer ${other.access}` } })).status, 200);
    await t.runtime.store.setUserActive(other.id, false, Date.now());
    const { socket, socketBody } = await bothWays('/api/me/', other.access);
    assert.equal(socket.status, 401);
    assert.match(socketBody, /User is inactive/);
  });

  it('leaves requests to Fastify once the app is closing, so that they get its 503', async () => {
    const closing = await startTestApp(dialect);
    try {
      const username = unique('closing');
      assert.equal((await closing.request('POST', '/api/users/', { username, password: PASSWORD })).statusCode, 201);
      const { access } = await closing.login(username, PASSWORD);
      await closing.app.close();
      // A request that was already on an open connection when the close began: handed to the
      // server as node:http would, over a socket that goes nowhere.
      const req = new IncomingMessage(new Socket());
      Object.assign(req, { method: 'GET', url: '/api/me/', headers: { authorization: `Bearer ${access}` } });
      const res = new ServerResponse(req);
      const ended = new Promise<number>((resolve) => {
        res.end = ((..._args: unknown[]) => {
          resolve(res.statusCode);
          return res;
        }) as typeof res.end;
      });
      closing.app.server.emit('request', req, res);
      assert.equal(await ended, 503);
    } finally {
      await closing.close();
    }
  });

  it('counts its answers in the request metrics under the route', async () => {
    const { access } = await newLogin();
    const metric = async (): Promise<number> => {
      const text = (await t.request('GET', '/metrics')).body;
      const line = text.split('\n').find((l) => l.startsWith('gatehouse_http_requests_total{route="/api/me/",method="GET",status="200"}'));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    };
    const before = await metric();
    authStateCalls = 0;
    for (let i = 0; i < 3; i++) await (await fetch(`${base}/api/me/`, { headers: { authorization: `Bearer ${access}` } })).arrayBuffer();
    assert.equal(authStateCalls, 0);
    assert.equal((await metric()) - before, 3);
  });
});

describe('meFastPath on its own', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite');
  });
  after(async () => {
    await t?.close();
  });

  /** A server where the fast path goes first and everything it declines is answered 599. */
  async function serve(lines: string[]): Promise<{ url: string; close: () => Promise<void> }> {
    const fastPath = meFastPath({
      sessions: t.runtime.sessions,
      record: requestRecorder(new RequestLog({ write: (line) => lines.push(line) }, 1, 'host'), clientOrigin(['127.0.0.1'])),
      nextRequestId: requestIdGenerator(),
      open: () => true,
    });
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (!fastPath(req, res)) res.writeHead(599).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }

  it('writes the route\'s log line, with the client as the trusted-proxy rules see it', async () => {
    const username = unique('logline');
    assert.equal((await t.request('POST', '/api/users/', { username, password: PASSWORD })).statusCode, 201);
    const { access } = await t.login(username, PASSWORD);
    const lines: string[] = [];
    const server = await serve(lines);
    try {
      const response = await fetch(`${server.url}/api/me`, {
        headers: { authorization: `Bearer ${access}`, 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' },
      });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
    } finally {
      await server.close();
    }
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal(line.msg, 'request');
    assert.equal(line.method, 'GET');
    assert.equal(line.path, '/api/me');
    assert.equal(line.route, '/api/me/');
    assert.equal(line.status, 200);
    assert.equal(line.remoteAddress, '203.0.113.7');
    assert.equal(line.protocol, 'https');
    assert.equal(typeof line.reqId, 'string');
    assert.equal(typeof line.durationMs, 'number');
    assert.ok(!lines[0]?.includes(access.split('.')[2] ?? 'never'), 'the token is not in the line');
  });
});
