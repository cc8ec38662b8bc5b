// The OpenAPI description is true: a valid OpenAPI 3.1 document listing every route the app
// serves (but for the few that are not the API), each with its answers; and the conformance check
// that every other test runs on every answer (test/support/check-responses.ts, http-call.ts)
// cannot pass silently.
import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify, { type RouteOptions } from 'fastify';
import assert, { AssertionError } from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { registerApiDescription } from '../src/http/api-docs.js';
import { ERROR_SCHEMAS } from '../src/http/schemas/errors.js';
import { json } from '../src/http/schemas/parts.js';
import { checkResponsesOf } from './support/check-responses.js';
import { httpCall } from './support/http-call.js';
import { conformanceOf } from './support/openapi-conformance.js';
import { spawnServer } from './support/spawn-server.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const object = (value: unknown, what: string): JsonObject => {
  assert.ok(isObject(value), `${what} is an object`);
  return value;
};

/**
 * The routes that are not the API, so hidden from the document, and the only ones the checks
 * leave alone: the document itself (describing /openapi.json inside it would add nothing a
 * reader of it lacks), the reference page and its files, and the demo page's files.
 */
const NOT_API: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/openapi\.json$/, 'the document itself'],
  [/^\/docs(?:\/.*)?$/, 'the reference page (@fastify/swagger-ui)'],
  [/^\/(?:index\.html)?$|^\/assets\//, 'the demo page (@fastify/static)'],
  [/^\*$/, 'CORS preflights on any path (@fastify/cors)'],
];

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly operation: JsonObject;
}

function operationsOf(document: JsonObject): Operation[] {
  return Object.entries(object(document['paths'], 'paths')).flatMap(([path, item]) =>
    METHODS.flatMap((method) => (isObject(item) && isObject(item[method]) ? [{ method: method.toUpperCase(), path, operation: item[method] as JsonObject }] : [])),
  );
}

function hooksOf(route: RouteOptions): string[] {
  return [route.preValidation ?? []].flat().map((hook) => (typeof hook === 'function' ? hook.name : ''));
}

async function assertValidOpenApi31(document: unknown, what: string): Promise<void> {
  const result = await new Validator().validate(object(document, what));
  assert.ok(result.valid, `${what}: ${String(JSON.stringify(result.errors)).slice(0, 2000)}`);
  assert.equal(object(document, what)['openapi'], '3.1.0');
}

describe('the API description', () => {
  const routes: RouteOptions[] = [];
  let t: TestApp;
  let document: JsonObject;

  before(async () => {
    // With CORS on, so that its preflight route is listed too.
    t = await startTestApp('sqlite', { corsOrigins: ['https://app.example.test'] }, { onRoute: (route) => routes.push(route) });
    const served = await t.request('GET', '/openapi.json');
    assert.equal(served.statusCode, 200);
    document = served.json<JsonObject>();
  });
  after(async () => {
    await t?.close();
  });

  it('is a valid OpenAPI 3.1 document, in each setting that changes it', async () => {
    await assertValidOpenApi31(document, 'the default document');
    const variants = [
      { refreshCookie: true, corsOrigins: ['https://app.example.test'] },
      { rotateRefreshTokens: false, metrics: false, apiDocs: false },
      { signupRateLimit: { max: 10, windowSeconds: 3600 }, loginAccountLimit: { max: 10, windowSeconds: 900 }, introspectionClients: ['rs:a-long-enough-client-secret-1234'] },
    ];
    for (const overrides of variants) {
      const variant = await startTestApp('sqlite', overrides);
      try {
        await variant.app.ready();
        await assertValidOpenApi31(variant.app.swagger(), JSON.stringify(Object.keys(overrides)));
      } finally {
        await variant.close();
      }
    }
  });

  it('describes every route the app serves, but for the few that are not the API, which it hides', () => {
    const documented = new Set(operationsOf(document).map(({ method, path }) => `${method} ${path}`));
    const described = new Set<string>();
    for (const route of routes) {
      for (const method of [route.method].flat()) {
        // Fastify answers HEAD for every GET; the document lists the GET.
        if (method === 'HEAD') continue;
        const path = route.url.replace(/:(\w+)/g, '{$1}');
        const notApi = NOT_API.find(([pattern]) => pattern.test(route.url));
        assert.equal(route.schema?.hide === true, notApi !== undefined, `${method} ${route.url}: hidden exactly when it is not the API`);
        if (notApi !== undefined) continue;
        assert.ok(documented.has(`${method} ${path}`), `${method} ${path} is documented`);
        described.add(`${method} ${path}`);
      }
    }
    assert.deepEqual([...documented].sort(), [...described].sort(), 'the document lists no route the app lacks');
    assert.ok(described.size >= 27, `${described.size} operations`);
  });

  it('gives every operation a summary, tags, a unique operationId, its success and its error answers', () => {
    const tags = new Set((document['tags'] as Array<{ name: string }>).map((tag) => tag.name));
    const ids = new Set<string>();
    for (const { method, path, operation } of operationsOf(document)) {
      const name = `${method} ${path}`;
      assert.equal(typeof operation['summary'], 'string', `${name} summary`);
      const operationTags = operation['tags'] as unknown[];
      assert.ok(Array.isArray(operationTags) && operationTags.length > 0 && operationTags.every((tag) => tags.has(String(tag))), `${name} tags`);
      const id = String(operation['operationId']);
      assert.ok(!ids.has(id), `${name}: operationId ${id} is unique`);
      ids.add(id);
      const responses = object(operation['responses'], `${name} responses`);
      const codes = Object.keys(responses);
      assert.ok(codes.some((code) => /^2\d\d$/.test(code)), `${name} has a success answer`);
      for (const code of ['500', '503']) assert.ok(codes.includes(code), `${name} answers ${code}`);
      if (method === 'POST' || method === 'DELETE') for (const code of ['400', '413', '415']) assert.ok(codes.includes(code), `${name} answers ${code} about its body`);
      for (const [code, response] of Object.entries(responses)) {
        assert.notEqual(object(response, `${name} ${code}`)['description'], 'Default Response', `${name} ${code} is described`);
        const headers = isObject(object(response, code)['headers']) ? (object(response, code)['headers'] as JsonObject) : {};
        if (code === '401') assert.ok('WWW-Authenticate' in headers, `${name} 401 documents WWW-Authenticate`);
        if (code === '429') assert.ok('Retry-After' in headers, `${name} 429 documents Retry-After`);
      }
      const body = operation['requestBody'];
      if (isObject(body)) {
        for (const [type, media] of Object.entries(object(body['content'], `${name} body`))) assert.ok('example' in object(media, type), `${name} ${type} has an example`);
      }
    }
  });

  it('shows only examples that are answers it allows: each one passes the conformance check of its operation and status', () => {
    const conformance = conformanceOf(document);
    let examples = 0;
    for (const { method, path, operation } of operationsOf(document)) {
      for (const [status, response] of Object.entries(object(operation['responses'], `${method} ${path} responses`))) {
        const content = object(response, `${method} ${path} ${status}`)['content'];
        for (const [contentType, media] of Object.entries(isObject(content) ? content : {})) {
          if (!isObject(media) || !('example' in media)) continue;
          const example = media['example'];
          const body = contentType === 'application/json' ? JSON.stringify(example) : String(example);
          conformance.check({ method, url: path.replace(/\{[^}]+\}/g, '1'), status: Number(status), contentType, body });
          examples += 1;
        }
      }
    }
    assert.ok(examples > 50, `${examples} examples checked`);
  });

  it('asks for the bearer token exactly where the route checks one, with its 401 (and 403 for admins)', () => {
    const operations = new Map(operationsOf(document).map(({ method, path, operation }) => [`${method} ${path}`, operation]));
    let checked = 0;
    for (const route of routes) {
      const method = [route.method].flat()[0] ?? '';
      const operation = operations.get(`${method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
      if (operation === undefined) continue;
      const hooks = hooksOf(route);
      const needsToken = hooks.includes('checkAccessToken') || hooks.includes('checkAdmin');
      assert.equal(JSON.stringify(operation['security']) === JSON.stringify([{ bearer: [] }]), needsToken, `${method} ${route.url}: bearer security`);
      const codes = Object.keys(object(operation['responses'], 'responses'));
      if (needsToken) assert.ok(codes.includes('401'), `${method} ${route.url} answers 401`);
      if (hooks.includes('checkAdmin')) assert.ok(codes.includes('403'), `${method} ${route.url} answers 403`);
      checked += needsToken ? 1 : 0;
    }
    assert.ok(checked >= 15, `${checked} operations need a token`);
  });

  it('declares the shared bodies once, under components/schemas', () => {
    const schemas = object(object(document['components'], 'components')['schemas'], 'schemas');
    for (const name of ['Error', 'AuthenticationError', 'ValidationError', 'OAuthError', 'TokenPair', 'RefreshedTokens', 'User', 'Session', 'AdminUser', 'AuditEvent', 'Jwks']) {
      assert.ok(name in schemas, name);
    }
    const text = JSON.stringify(document['paths']);
    assert.ok(!text.includes('"detail":{"type":"string"}'), 'no error body is spelled out inside an operation');
  });

  it('describes cookie mode truthfully: no refresh token in bodies, an optional refresh field, the cookie', async () => {
    const cookie = await startTestApp('sqlite', { refreshCookie: true });
    try {
      await cookie.app.ready();
      const variant = object(cookie.app.swagger(), 'document');
      const paths = object(variant['paths'], 'paths');
      const refresh = object(object(paths['/api/token/refresh/'], 'refresh')['post'], 'post');
      assert.equal(object(refresh['requestBody'], 'body')['required'], false);
      const schema = object(object(object(object(refresh['requestBody'], 'body')['content'], 'content')['application/json'], 'json')['schema'], 'schema');
      assert.equal(schema['required'], undefined);
      const pair = object(object(object(variant['components'], 'components')['schemas'], 'schemas')['TokenPair'], 'TokenPair');
      assert.deepEqual(pair['required'], ['access']);
      const login = object(object(paths['/api/token/'], 'login')['post'], 'post');
      assert.ok('Set-Cookie' in object(object(object(login['responses'], 'responses')['200'], '200')['headers'], 'headers'));
      assert.ok('403' in object(login['responses'], 'responses'), 'the CSRF refusal');
      assert.equal(object(object(document['paths'], 'paths')['/metrics'], 'metrics') !== undefined, true);
    } finally {
      await cookie.close();
    }
    const quiet = await startTestApp('sqlite', { metrics: false });
    try {
      await quiet.app.ready();
      assert.equal(object(object(quiet.app.swagger(), 'document')['paths'], 'paths')['/metrics'], undefined, 'no /metrics when it is off');
    } finally {
      await quiet.close();
    }
  });
});

describe('the conformance check cannot pass silently', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite');
    await t.app.ready();
  });
  after(async () => {
    await t?.close();
  });

  const json200 = (method: string, url: string, body: string, status = 200, contentType = 'application/json; charset=utf-8') => ({ method, url, status, contentType, body });

  it('refuses a wrong body, an undocumented status or content type, and an unknown path, naming the operation and never a value', () => {
    const conformance = conformanceOf(t.app.swagger());
    conformance.check(json200('POST', '/api/token/', '{"refresh":"r","access":"a"}'));
    const secret = 'SECRET-TOKEN-VALUE';
    assert.throws(
      () => conformance.check(json200('POST', '/api/token', `{"access":"${secret}","extra":"${secret}"}`)),
      (error: unknown) => error instanceof AssertionError && /obtainTokenPair/.test(error.message) && /refresh/.test(error.message) && !error.message.includes(secret),
    );
    assert.throws(() => conformance.check(json200('GET', '/healthz', '{"status":"ok"}', 418)), /liveness \(GET \/healthz\) answered 418/);
    assert.throws(() => conformance.check(json200('GET', '/metrics', '{}')), /content type application\/json/);
    assert.throws(() => conformance.check(json200('GET', '/api/nowhere/', '{}')), /no such path/);
    assert.throws(() => conformance.check(json200('POST', '/api/users/set_password/', '{}', 204, undefined)), /no body/);
    assert.throws(() => conformance.check(json200('GET', '/api/me/', 'not json')), /not JSON/);
  });

  it('checks unknown paths and wrong methods against their generic answers', () => {
    const conformance = conformanceOf(t.app.swagger());
    conformance.check(json200('GET', '/api/nowhere/', '{"detail":"Not found.","code":"not_found"}', 404));
    conformance.check(json200('GET', '/api/token/', '{"detail":"Method \\"GET\\" not allowed."}', 405));
    assert.throws(() => conformance.check(json200('GET', '/api/token/', '{"detail":"x","code":"method_not_allowed","more":1}', 405)), /MethodNotAllowed/);
    assert.throws(() => conformance.check(json200('GET', '/api/nowhere/', '{"error":"Not Found"}', 404)), /NotFound/);
  });

  it("fails a test app's inject at once, and its close() for answers over a real connection", async () => {
    const wrong = await startTestApp('sqlite');
    try {
      await wrong.app.ready();
      // The app's own document, made to lack /healthz before its first answer is checked.
      delete object(object(wrong.app.swagger(), 'document')['paths'], 'paths')['/healthz'];
      await assert.rejects(wrong.request('GET', '/healthz'), /no such path/);
      await assert.rejects(wrong.app.inject({ method: 'GET', url: '/healthz' }), /no such path/);
      assert.equal((await wrong.request('GET', '/readyz')).statusCode, 200, 'the rest is still checked and passes');
      await wrong.app.listen({ host: '127.0.0.1', port: 0 });
      const answer = await fetch(`http://127.0.0.1:${(wrong.app.server.address() as AddressInfo).port}/healthz`);
      assert.equal(answer.status, 200);
    } finally {
      await assert.rejects(wrong.close(), /no such path/, 'the answer over the socket fails the close');
    }
  });

  it('fails an answer the response schema changed from what the handler sent', async () => {
    const app = Fastify();
    await registerApiDescription(app);
    for (const schema of ERROR_SCHEMAS) app.addSchema(schema);
    const thing = { description: 'A thing.', content: json({ type: 'object', properties: { kept: { type: 'string' } } }) };
    const schema = { summary: 'A thing', tags: ['health'], operationId: 'thing', response: { 200: thing } };
    app.get('/thing', { schema }, async () => ({ kept: 'yes', dropped: 'by the serializer' }));
    app.get('/number', { schema }, async () => ({ kept: 12 }));
    const checks = checkResponsesOf(app);
    try {
      await assert.rejects(app.inject({ url: '/thing' }), /\/dropped: dropped/);
      await assert.rejects(app.inject({ url: '/number' }), /\/kept: number became string/);
      await assert.rejects(app.inject({ url: '/elsewhere' }), /NotFound/, "Fastify's own 404 is not the API's");
    } finally {
      await app.close();
    }
    checks.verify();
  });

  it("checks a spawned server's answers through httpCall, unless the call says why not", { timeout: 60_000 }, async () => {
    const server = await spawnServer();
    try {
      assert.equal((await httpCall(`${server.baseUrl}/healthz`)).status, 200);
      await assert.rejects(httpCall(`${server.baseUrl}/index.html`), AssertionError);
      assert.equal((await httpCall(`${server.baseUrl}/index.html`, { notApi: 'the demo page' })).status, 200);
    } finally {
      await server.stop();
    }
  });
});
