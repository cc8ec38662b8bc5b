// X-Forwarded-For / X-Forwarded-Proto are believed only from GATEHOUSE_TRUSTED_PROXIES, as the
// per-request log line (remoteAddress, protocol) shows.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkedFetch } from './support/http-call.js';
import { spawnServer, type SpawnedServer } from './support/spawn-server.js';

interface RequestLine {
  readonly path?: string;
  readonly remoteAddress?: string;
  readonly protocol?: string;
  readonly reqId?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The log line of the one request to `path`, waiting for the worker to write it. */
async function requestLine(server: SpawnedServer, path: string): Promise<RequestLine> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    for (const line of server.logs().split('\n')) {
      if (!line.startsWith('{')) continue;
      const parsed = JSON.parse(line) as RequestLine;
      if (parsed.path === path) return parsed;
    }
    if (Date.now() > deadline) throw new Error(`no log line for ${path}`);
    await sleep(50);
  }
}

async function forwardedCall(server: SpawnedServer, path: string, headers: Record<string, string> = {}): Promise<void> {
  const response = await checkedFetch(`${server.baseUrl}${path}`, {
    headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', ...headers },
  });
  assert.equal(response.status, 200);
  await response.arrayBuffer();
}

/** A new user's access token (GET /api/me/ is answered before Fastify's router, and must log alike). */
async function accessToken(server: SpawnedServer): Promise<string> {
  const json = { 'content-type': 'application/json' };
  const body = JSON.stringify({ username: `proxied${process.pid}`, password: 'proxied password 1' });
  assert.equal((await checkedFetch(`${server.baseUrl}/api/users/`, { method: 'POST', headers: json, body })).status, 201);
  const login = await checkedFetch(`${server.baseUrl}/api/token/`, { method: 'POST', headers: json, body });
  return ((await login.json()) as { access: string }).access;
}

describe('trusted proxies', { timeout: 120_000 }, () => {
  test('a connection from a trusted proxy address: the forwarded client address and scheme are used', async () => {
    const server = await spawnServer({ GATEHOUSE_LOG_LEVEL: 'info', GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1,::1' });
    try {
      await forwardedCall(server, '/healthz');
      const line = await requestLine(server, '/healthz');
      assert.equal(line.remoteAddress, '203.0.113.7');
      assert.equal(line.protocol, 'https');
      assert.equal(typeof line.reqId, 'string');
      await forwardedCall(server, '/api/me/', { authorization: `Bearer ${await accessToken(server)}` });
      const me = await requestLine(server, '/api/me/');
      assert.equal(me.remoteAddress, '203.0.113.7');
      assert.equal(me.protocol, 'https');
      // The proxy's own requests, without forwarding headers, are its own address.
      await (await checkedFetch(`${server.baseUrl}/readyz`)).arrayBuffer();
      const direct = await requestLine(server, '/readyz');
      assert.equal(direct.remoteAddress, '127.0.0.1');
      assert.equal(direct.protocol, 'http');
    } finally {
      await server.stop();
    }
  });

  test('a connection from any other address: X-Forwarded-* are ignored', async () => {
    const server = await spawnServer({ GATEHOUSE_LOG_LEVEL: 'info', GATEHOUSE_TRUSTED_PROXIES: '10.9.9.9' });
    try {
      await forwardedCall(server, '/healthz');
      const line = await requestLine(server, '/healthz');
      assert.equal(line.remoteAddress, '127.0.0.1');
      assert.equal(line.protocol, 'http');
      await forwardedCall(server, '/api/me/', { authorization: `Bearer ${await accessToken(server)}` });
      const me = await requestLine(server, '/api/me/');
      assert.equal(me.remoteAddress, '127.0.0.1');
      assert.equal(me.protocol, 'http');
    } finally {
      await server.stop();
    }
  });
});
