import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createVerifier } from '../verify/create-verifier.js';
import { expressBearerAuth } from '../verify/express.js';
import { fastifyBearerAuth } from '../verify/fastify.js';
import { honoBearerAuth, type BearerAuthEnv } from '../verify/hono.js';
import { accessClaims, craft, makeKey } from './support/verify-tokens.js';

const key = makeKey('HS256', 'mw-1');
const now = Math.floor(Date.now() / 1000);
const options = { jwks: { keys: [key.jwk] }, algorithms: ['HS256'] } as const;
const good = craft(key, '{"alg":"HS256","kid":"mw-1"}', JSON.stringify(accessClaims(now)));
const expired = craft(key, '{"alg":"HS256","kid":"mw-1"}', JSON.stringify(accessClaims(now - 7200)));
const forged = `${good.slice(0, -4)}AAAA`;
const CHALLENGE = 'Bearer realm="api"';

interface Reply { status: number; challenge: string | null; body: Record<string, unknown>; text: string }
type Send = (authorization: string | undefined) => Promise<Reply>;

async function expectContract(send: Send): Promise<void> {
  const ok = await send(`Bearer ${good}`);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.user_id, 1);

  const missing = await send(undefined);
  assert.equal(missing.status, 401);
  assert.equal(missing.challenge, CHALLENGE);
  assert.deepEqual(missing.body, { detail: 'Authentication credentials were not provided.', code: 'not_authenticated' });
  assert.equal((await send(`Basic ${good}`)).body.code, 'not_authenticated');
  assert.equal((await send(`Bearer ${good} extra`)).body.code, 'bad_authorization_header');

  for (const [token, message] of [[forged, 'Token is invalid'], [expired, 'Token is expired'], ['garbage', 'Token is invalid']] as const) {
    const bad = await send(`Bearer ${token}`);
    assert.equal(bad.status, 401);
    assert.equal(bad.challenge, CHALLENGE);
    assert.deepEqual(bad.body, {
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
    });
    assert.ok(!bad.text.includes(token.split('.')[2] ?? token), 'the token never appears in a response');
  }
}

test('fastify hook: request.user on success, Gatehouse 401s otherwise', async () => {
  const app = Fastify();
  app.get('/me', { onRequest: fastifyBearerAuth(options) }, async (request) => (request as unknown as { user: unknown }).user);
  try {
    await expectContract(async (authorization) => {
      const response = await app.inject({ method: 'GET', url: '/me', headers: authorization === undefined ? {} : { authorization } });
      return { status: response.statusCode, challenge: (response.headers['www-authenticate'] as string | undefined) ?? null, body: response.json(), text: response.body };
    });
  } finally {
    await app.close();
  }
});

test('express middleware: req.user on success, Gatehouse 401s otherwise', async () => {
  const app = express();
  app.get('/me', expressBearerAuth(createVerifier(options)), (req, res) => {
    res.json((req as unknown as { user: unknown }).user);
  });
  const server = app.listen(0, '127.0.0.1');
  try {
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/me`;
    await expectContract(async (authorization) => {
      const response = await fetch(url, { headers: authorization === undefined ? {} : { authorization } });
      const text = await response.text();
      return { status: response.status, challenge: response.headers.get('www-authenticate'), body: JSON.parse(text) as Record<string, unknown>, text };
    });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("hono middleware: c.get('user') on success, Gatehouse 401s otherwise", async () => {
  const app = new Hono<BearerAuthEnv>();
  app.use('/me', honoBearerAuth(options));
  app.get('/me', (c) => c.json(c.get('user')));
  await expectContract(async (authorization) => {
    const response = await app.request('/me', { headers: authorization === undefined ? {} : { authorization } });
    const text = await response.text();
    return { status: response.status, challenge: response.headers.get('www-authenticate'), body: JSON.parse(text) as Record<string, unknown>, text };
  });
});

test('middleware options are checked when the middleware is created', () => {
  for (const make of [fastifyBearerAuth, expressBearerAuth, honoBearerAuth]) {
    assert.throws(() => make({ secret: 'short', algorithms: ['HS256'] }), { code: 'key_invalid' });
    assert.throws(() => make({ algorithms: [] }), { code: 'options_invalid' });
  }
});

test('an unavailable key set answers 503, not 401', async () => {
  const app = new Hono<BearerAuthEnv>();
  const failingFetch = (async () => { throw new Error('offline'); }) as typeof fetch;
  app.use('/me', honoBearerAuth({ jwksUri: 'https://auth.example/jwks.json', algorithms: ['ES256'], fetch: failingFetch }));
  app.get('/me', (c) => c.json(c.get('user')));
  const response = await app.request('/me', { headers: { authorization: `Bearer ${craft(makeKey('ES256'), '{"alg":"ES256"}', '{}')}` } });
  assert.equal(response.status, 503);
  assert.equal(((await response.json()) as { code: string }).code, 'service_unavailable');
});
