import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createRuntime } from '../src/runtime.js';
import { configWith } from '../src/config/load-config.js';
import { startTestApp } from './support/test-app.js';

const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('login rate limits shared through Redis', () => {
  it('counts attempts on every node against one limit', async () => {
    const first = await startTestApp('sqlite', { redisUrl: REDIS_URL, loginRateLimit: { max: 3, windowSeconds: 60 } });
    const second = await createRuntime(configWith({ ...first.config }), { logger: false });
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
