import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { configWith } from '../src/config/load-config.js';
import { checkedFetch } from './support/http-call.js';
import { freePort, spawnServer } from './support/spawn-server.js';
import { checkedRuntime, startTestApp } from './support/test-app.js';

const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('login rate limits shared through Redis', () => {
  it('counts attempts on every node against one limit', async () => {
    const first = await startTestApp('sqlite', { redisUrl: REDIS_URL, loginRateLimit: { max: 3, windowSeconds: 60 } });
    const second = await checkedRuntime(configWith({ ...first.config }));
    try {
      // A fresh username per run keeps runs (and parallel CI jobs) from sharing a counter.
      const username = `target-${randomBytes(6).toString('hex')}`;
      const attempt = (app: typeof second.app) => app.inject({ method: 'POST', url: '/api/token/', payload: { username, password: 'guess' } });
      const statuses = [
        (await attempt(first.app)).statusCode,
        (await attempt(second.app)).statusCode,
        (await attempt(first.app)).statusCode,
        (await attempt(second.app)).statusCode,
      ];
      assert.deepEqual(statuses, [401, 401, 401, 429]);
    } finally {
      await second.close();
      await first.close();
    }
  });
});

describe('abuse limits shared through Redis', () => {
  it('counts failed logins at one account on every node against one backoff', async () => {
    const first = await startTestApp('sqlite', { redisUrl: REDIS_URL, loginAccountLimit: { max: 3, windowSeconds: 900 } });
    const second = await checkedRuntime(configWith({ ...first.config }));
    try {
      const username = `shared-${randomBytes(6).toString('hex')}`;
      const attempt = (app: typeof second.app, i: number) =>
        app.inject({ method: 'POST', url: '/api/token/', payload: { username, password: 'a wrong guess' }, headers: { 'x-forwarded-for': `198.51.100.${i}` } });
      const statuses = [
        (await attempt(first.app, 1)).statusCode,
        (await attempt(second.app, 2)).statusCode,
        (await attempt(first.app, 3)).statusCode,
        (await attempt(second.app, 4)).statusCode,
      ];
      assert.deepEqual(statuses, [401, 401, 401, 429]);
    } finally {
      await second.close();
      await first.close();
    }
  });
});

describe('Redis unavailable', () => {
  it('serves every request, skips the limits, and logs one warning rather than an error per request', async () => {
    const port = await freePort(); // nothing listens there
    const server = await spawnServer({ GATEHOUSE_REDIS_URL: `redis://127.0.0.1:${port}`, GATEHOUSE_LOGIN_RATE_LIMIT: '2/1m' });
    try {
      const username = `redisless-${randomBytes(4).toString('hex')}`;
      const post = (path: string, body: unknown) =>
        checkedFetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal((await post('/api/users/', { username, password: 'a long password 1' })).status, 201);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await post('/api/token/', { username, password: 'a long password 1' })).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200], 'the limit is skipped, not enforced and not an error');
      const lines = server
        .logs()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; event?: string });
      assert.equal(lines.filter((line) => line.event === 'redis_unavailable').length, 1);
      assert.deepEqual(lines.filter((line) => line.level >= 50), [], 'no error lines');
    } finally {
      await server.stop();
    }
  });
});
