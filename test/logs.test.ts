// After a full login → refresh → me → logout flow at trace level, no log line holds a password,
// a token, an Authorization header or a cookie; every request has one structured line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkedFetch } from './support/http-call.js';
import { spawnServer } from './support/spawn-server.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface RequestLine {
  readonly msg?: string;
  readonly reqId?: unknown;
  readonly status?: unknown;
  readonly durationMs?: unknown;
  readonly path?: unknown;
}

test('no secret reaches the logs at any level', { timeout: 120_000 }, async () => {
  const server = await spawnServer({ GATEHOUSE_LOG_LEVEL: 'trace' });
  const password = 'Pa55word-that-must-not-leak';
  const cookieSecret = 'cookie-value-that-must-not-leak';
  const secrets: string[] = [password, cookieSecret];
  let output = '';
  try {
    const post = async (path: string, body: unknown, extra: Record<string, string> = {}): Promise<Response> =>
      checkedFetch(`${server.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: `sid=${cookieSecret}`, ...extra },
        body: JSON.stringify(body),
      });
    assert.equal((await post('/api/users/', { username: 'logcheck', password })).status, 201);
    assert.equal((await post('/api/token/', { username: 'logcheck', password: `${password}-wrong` })).status, 401);
    secrets.push(`${password}-wrong`);
    const login = await post('/api/token/', { username: 'logcheck', password });
    assert.equal(login.status, 200);
    const tokens = (await login.json()) as { access: string; refresh: string };
    secrets.push(tokens.access, tokens.refresh);
    const me = await checkedFetch(`${server.baseUrl}/api/me/`, { headers: { authorization: `Bearer ${tokens.access}` } });
    assert.equal(me.status, 200);
    const refreshed = await post('/api/token/refresh/', { refresh: tokens.refresh });
    assert.equal(refreshed.status, 200);
    const next = (await refreshed.json()) as { access: string; refresh?: string };
    secrets.push(next.access);
    if (next.refresh !== undefined) secrets.push(next.refresh);
    // Reuse of the rotated refresh token: a failure path that handles a token.
    await (await post('/api/token/refresh/', { refresh: tokens.refresh })).arrayBuffer();
    await (await post('/api/token/verify/', { token: next.access })).arrayBuffer();
    const logout = await post('/api/token/blacklist/', { refresh: next.refresh ?? tokens.refresh });
    await logout.arrayBuffer();
    // Let the worker's log writes reach us.
    await sleep(500);
  } finally {
    await server.stop();
    output = server.logs();
  }

  // Each JWT's signature alone is enough to identify a leak, even if the rest was cut.
  const fragments = secrets.flatMap((secret) => [secret, ...secret.split('.').filter((part) => part.length >= 20)]);
  for (const line of output.split('\n')) {
    for (const fragment of fragments) assert.ok(!line.includes(fragment), 'a log line contains a password, token or cookie');
    assert.ok(!/bearer\s+ey/i.test(line), 'a log line contains an Authorization header');
  }
  const requestLines = output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as RequestLine)
    .filter((line) => line.msg === 'request' && typeof line.path === 'string' && line.path.startsWith('/api/'));
  assert.ok(requestLines.length >= 8, 'one line per API request');
  for (const line of requestLines) {
    assert.equal(typeof line.reqId, 'string');
    assert.equal(typeof line.status, 'number');
    assert.equal(typeof line.durationMs, 'number');
  }
});
