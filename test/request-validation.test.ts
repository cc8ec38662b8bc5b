// Request bodies, query strings and path parameters are checked by the route schemas with DRF's
// rules (src/http/drf-validator.ts): the schema says which fields exist, the answers stay
// simplejwt's. Authentication, permissions, CSRF and rate limits still come first, as in DRF.
import Fastify, { type FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { drfValidatorCompiler } from '../src/http/drf-validator.js';
import { oauthValidatorCompiler } from '../src/http/oauth-parameters.js';
import { toPublicError } from '../src/http/error-response.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const PASSWORD = 'correct horse battery';

/** A bare app with Gatehouse's validator and error answers, and one route echoing what the handler got. */
async function echoApp(schema: object, options: { oauth?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify();
  app.setValidatorCompiler(drfValidatorCompiler);
  app.setErrorHandler(async (error, _request, reply) => {
    const publicError = toPublicError(error);
    return reply.code(publicError.status).send(publicError.body);
  });
  app.post('/echo', { schema, ...(options.oauth === true ? { validatorCompiler: oauthValidatorCompiler } : {}) }, async (request) => ({ body: request.body, query: request.query }));
  await app.ready();
  return app;
}

describe('the request validators', () => {
  it('refuse at start a schema they would not enforce, naming the route and the keyword', async () => {
    const refused: Array<[object, RegExp]> = [
      [{ body: { type: 'object', properties: { name: { type: 'string', minLength: 3 } } } }, /POST \/echo body: the keyword "minLength" on "name"/],
      [{ body: { type: 'object', properties: { name: { type: 'integer', minimum: 0, maximum: 9 } } } }, /the field "name" \(integer\)/],
      [{ body: { type: 'object', properties: { name: { $ref: 'Name#' } } } }, /the field "name"/],
      [{ body: { type: 'object', properties: {}, additionalProperties: false } }, /the keyword "additionalProperties"/],
      [{ body: { type: 'object', properties: {}, required: ['name'] } }, /"required" naming an undeclared field/],
      [{ querystring: { type: 'object', properties: { page: { type: 'integer' } } } }, /"page" without minimum and maximum/],
      [{ headers: { type: 'object', properties: { 'x-name': { type: 'string' } } } }, /do not check headers/],
    ];
    for (const [schema, message] of refused) await assert.rejects(echoApp(schema), message);
  });

  it('hand the handler text for each declared field (numbers as their text), and nothing else', async () => {
    const app = await echoApp({ body: { type: 'object', properties: { name: { type: 'string' }, note: { type: 'string' } }, required: ['name'] } });
    try {
      const echoed = await app.inject({ method: 'POST', url: '/echo', payload: { name: 42, other: true } });
      assert.deepEqual(echoed.json().body, { name: '42' });
      const missing = await app.inject({ method: 'POST', url: '/echo', payload: { note: null } });
      assert.equal(missing.statusCode, 400);
      assert.deepEqual(missing.json(), { name: ['This field is required.'], note: ['This field may not be null.'] });
    } finally {
      await app.close();
    }
  });

  it('read query strings as DRF does: the last value, an empty one as absent, whole numbers within bounds', async () => {
    const query = {
      type: 'object',
      properties: {
        kind: { type: 'string', enum: ['a', 'b'], errorMessage: 'Not a known kind.' },
        limit: { type: 'integer', minimum: 1, maximum: 10, default: 5 },
      },
    };
    const app = await echoApp({ querystring: query });
    try {
      const echo = async (search: string) => app.inject({ method: 'POST', url: `/echo?${search}` });
      assert.deepEqual((await echo('kind=a&kind=b&limit=')).json().query, { kind: 'b', limit: 5 });
      assert.deepEqual((await echo('limit=10')).json().query, { limit: 10 });
      const cases: Array<[string, Record<string, string[]>]> = [
        ['limit=abc', { limit: ['A valid integer is required.'] }],
        ['limit=0', { limit: ['Ensure this value is greater than or equal to 1.'] }],
        ['limit=11', { limit: ['Ensure this value is less than or equal to 10.'] }],
        ['kind=c', { kind: ['Not a known kind.'] }],
        ['kind=a%00', { kind: ['Null characters are not allowed.'] }],
      ];
      for (const [search, errors] of cases) {
        const response = await echo(search);
        assert.equal(response.statusCode, 400, search);
        assert.deepEqual(response.json(), errors, search);
      }
    } finally {
      await app.close();
    }
  });

  it("answer a missing OAuth parameter in RFC 6749's shape, and ignore an optional one that is not text", async () => {
    const body = { type: 'object', properties: { token: { type: 'string' }, token_type_hint: { type: 'string' } }, required: ['token'] };
    const app = await echoApp({ body }, { oauth: true });
    try {
      for (const payload of [{}, { token: '' }, { token: 7 }]) {
        const response = await app.inject({ method: 'POST', url: '/echo', payload });
        assert.equal(response.statusCode, 400);
        assert.equal(response.json().error, 'invalid_request');
        assert.equal(response.json().code, 'invalid');
      }
      assert.deepEqual((await app.inject({ method: 'POST', url: '/echo', payload: { token: 't', token_type_hint: 1 } })).json().body, { token: 't' });
    } finally {
      await app.close();
    }
  });
});

describe('what comes before the fields, as in DRF', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite', { loginRateLimit: { max: 1, windowSeconds: 60 } });
  });
  after(async () => {
    await t?.close();
  });

  it('authentication and the admin permission, before the body and the query string', async () => {
    assert.equal((await t.request('POST', '/api/users/set_password/', {})).statusCode, 401);
    assert.equal((await t.request('DELETE', '/api/users/me/', {})).statusCode, 401);
    assert.equal((await t.request('GET', '/api/admin/users/?limit=abc')).statusCode, 401);
    assert.equal((await t.request('POST', '/api/users/', { username: 'plain', password: PASSWORD })).statusCode, 201);
    const { access } = await t.login('plain', PASSWORD);
    const notAdmin = await t.request('GET', '/api/admin/audit/?event=nothing', undefined, { authorization: `Bearer ${access}` });
    assert.equal(notAdmin.statusCode, 403);
    assert.equal(notAdmin.json().code, 'permission_denied');
  });

  it('the login rate limit, before the fields', async () => {
    assert.equal((await t.request('POST', '/api/token/', { username: 'limited', password: 'guess' })).statusCode, 401);
    const limited = await t.request('POST', '/api/token/', { username: 'limited' });
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().code, 'rate_limited');
  });

  it('the introspection client, before the token parameter', async () => {
    const off = await t.request('POST', '/oauth/introspect', {});
    assert.equal(off.statusCode, 403, 'introspection is off here');
  });
});

describe('what comes before the fields in other settings', () => {
  it('cookie mode: the login CSRF check; registration closed; a wrong introspection client', async () => {
    const t = await startTestApp('sqlite', { refreshCookie: true, registration: false, introspectionClients: ['rs:a-long-enough-client-secret-1234'] });
    try {
      const login = await t.request('POST', '/api/token/', {});
      assert.equal(login.statusCode, 403);
      assert.equal(login.json().code, 'csrf_failed');
      const register = await t.request('POST', '/api/users/', {});
      assert.equal(register.json().code, 'registration_closed');
      const introspect = await t.request('POST', '/oauth/introspect', {}, { authorization: 'Basic cnM6d3Jvbmc=' });
      assert.equal(introspect.statusCode, 401);
      assert.equal(introspect.json().code, 'authentication_failed');
      // Without the cookie, refresh asks for the field as DRF would.
      const refresh = await t.request('POST', '/api/token/refresh/', {});
      assert.deepEqual(refresh.json(), { refresh: ['This field is required.'] });
    } finally {
      await t.close();
    }
  });
});
