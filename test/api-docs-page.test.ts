// The API reference: /openapi.json, and /docs where Swagger UI renders it from files Gatehouse
// serves itself, so the page works with no internet access. GATEHOUSE_API_DOCS=off removes both.
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium, saveScreenshot, skipWithoutChromium, withLogs } from './support/demo-page.js';
import { spawnServer, type SpawnedServer } from './support/spawn-server.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const PAGE_PATHS = ['/docs', '/docs/'];
/** Everything the page is made of, each answered by Gatehouse. */
const PAGE_FILES = ['/docs/json', '/docs/static/swagger-ui.css', '/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js'];

/** The operations the browser test looks for: the simplejwt core and the key set. */
const OPERATIONS: ReadonlyArray<readonly [method: string, path: string]> = [
  ['POST', '/api/token/'],
  ['POST', '/api/token/refresh/'],
  ['GET', '/api/me/'],
  ['GET', '/.well-known/jwks.json'],
];

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** The summary (if any) and the response codes the document gives one operation. */
function documented(document: unknown, method: string, path: string): { summary: string | undefined; responseCodes: string[] } {
  const operation = field(field(field(document, 'paths'), path), method.toLowerCase());
  assert.ok(operation !== undefined, `the document describes ${method} ${path}`);
  const summary = field(operation, 'summary');
  const responses = field(operation, 'responses');
  return { summary: typeof summary === 'string' ? summary : undefined, responseCodes: Object.keys(responses ?? {}) };
}

/** `directive → sources` of a Content-Security-Policy header. */
function parseCsp(header: string): Map<string, string[]> {
  const directives = header.split(';').map((directive) => directive.trim().split(/\s+/));
  return new Map(directives.filter(([name]) => name !== undefined && name !== '').map(([name = '', ...sources]) => [name, sources]));
}

describe('API reference: in-process', () => {
  let docsOn: TestApp;
  let docsOff: TestApp;

  before(async () => {
    docsOn = await startTestApp('sqlite');
    docsOff = await startTestApp('sqlite', { apiDocs: false });
  });

  after(async () => {
    await docsOn?.close();
    await docsOff?.close();
  });

  it('GET /openapi.json is the OpenAPI 3.1 document as JSON', async () => {
    const response = await docsOn.request('GET', '/openapi.json');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const document = response.json<{ openapi: string; paths: Record<string, unknown> }>();
    assert.equal(document.openapi, '3.1.0');
    for (const [method, path] of OPERATIONS) documented(document, method, path);
  });

  it('GET /docs and /docs/ answer the page titled "Gatehouse API", referring to nothing on another origin', async () => {
    for (const path of PAGE_PATHS) {
      const response = await docsOn.request('GET', path);
      assert.equal(response.statusCode, 200, path);
      assert.match(String(response.headers['content-type']), /^text\/html/, path);
      assert.match(response.body, /<title>Gatehouse API<\/title>/, path);
      const references = [...response.body.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1] ?? '');
      assert.ok(references.length >= 4, `${path} links its stylesheets and scripts`);
      for (const reference of references) assert.doesNotMatch(reference, /^(?:[a-z]+:)?\/\//i, `${path} refers to ${reference}`);
    }
    for (const file of PAGE_FILES) assert.equal((await docsOn.request('GET', file)).statusCode, 200, file);
  });

  it('every /docs response carries a CSP that allows only its own origin (and data: images)', async () => {
    for (const path of [...PAGE_PATHS, ...PAGE_FILES]) {
      const header = (await docsOn.request('GET', path)).headers['content-security-policy'];
      assert.equal(typeof header, 'string', `${path} has a CSP`);
      const csp = parseCsp(String(header));
      assert.deepEqual(csp.get('default-src'), ["'self'"], path);
      assert.deepEqual(csp.get('img-src'), ["'self'", 'data:'], path);
      assert.deepEqual(csp.get('object-src'), ["'none'"], path);
      assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], path);
      // Nothing else may widen default-src: no other origin, no inline code.
      for (const [name, sources] of csp) {
        for (const source of sources) assert.match(source, /^(?:'self'|'none'|data:)$/, `${path}: ${name} ${source}`);
      }
    }
  });

  it('with GATEHOUSE_API_DOCS=off the document, the page and its files are 404 in the API error shape', async () => {
    for (const path of ['/openapi.json', ...PAGE_PATHS, ...PAGE_FILES]) {
      const response = await docsOff.request('GET', path);
      assert.equal(response.statusCode, 404, path);
      assert.match(String(response.headers['content-type']), /^application\/json/, path);
      const body = response.json<{ detail: unknown; code: unknown }>();
      assert.equal(body.code, 'not_found', path);
      assert.equal(typeof body.detail, 'string', path);
    }
  });
});

/** One operation's block on the page, found by method and path (its id depends on tags). */
function operationBlock(page: Page, method: string, path: string): Locator {
  return page.locator(`.opblock.opblock-${method.toLowerCase()}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
}

describe('browser: API reference page', { skip: skipWithoutChromium }, () => {
  let browser: Browser;
  let server: SpawnedServer | undefined;

  before(async () => {
    browser = await launchChromium();
    server = await spawnServer();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('renders the document with no request to any other origin, and expands an operation', { timeout: 45_000 }, async () => {
    await withLogs(server, async ({ baseUrl }) => {
      const origin = new URL(baseUrl).origin;
      // data: URLs (the stylesheet's icons) are decoded in the page: no network involved.
      const elsewhere = (url: URL): boolean => url.protocol !== 'data:' && url.origin !== origin;
      const document: unknown = await (await fetch(`${baseUrl}/openapi.json`)).json();
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        // Anything bound elsewhere is refused, so the page is proven to need no internet access;
        // every request is still recorded so the assertion can name it.
        await context.route(elsewhere, (route) => route.abort('blockedbyclient'));
        const requested: string[] = [];
        const problems: string[] = [];
        context.on('request', (request) => requested.push(request.url()));
        context.on('console', (message) => {
          if (message.type() === 'error') problems.push(`console: ${message.text()}`);
        });
        const page = await context.newPage();
        page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

        for (const path of PAGE_PATHS) {
          await page.goto(`${baseUrl}${path}`);
          await page.locator('.swagger-ui .info .title', { hasText: 'Gatehouse' }).waitFor();
          await operationBlock(page, 'POST', '/api/token/').waitFor();
          assert.equal(await page.title(), 'Gatehouse API', path);
        }

        for (const [method, path] of OPERATIONS) {
          const block = operationBlock(page, method, path);
          assert.equal(await block.count(), 1, `${method} ${path} is listed once`);
          assert.equal((await block.locator('.opblock-summary-method').textContent())?.trim(), method);
          const { summary } = documented(document, method, path);
          if (summary !== undefined) assert.equal((await block.locator('.opblock-summary-description').textContent())?.trim(), summary);
        }

        const login = operationBlock(page, 'POST', '/api/token/');
        await login.locator('.opblock-summary-control').click();
        await login.locator('.responses-table').waitFor();
        const shownCodes = await login.locator('.responses-table tr.response').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-code') ?? ''));
        const { responseCodes } = documented(document, 'POST', '/api/token/');
        assert.ok(responseCodes.length > 0, 'the document gives POST /api/token/ its responses');
        assert.deepEqual(shownCodes.sort(), responseCodes.sort());
        assert.equal(await page.locator('.swagger-ui .errors-wrapper').count(), 0, 'Swagger UI reports no error in the document');
        await saveScreenshot(page, 'api-reference');

        assert.deepEqual(problems, []);
        assert.ok(requested.length >= 5, `the page loaded its files: ${requested.join(' ')}`);
        assert.deepEqual(
          requested.filter((url) => elsewhere(new URL(url))),
          [],
          'every request went to the server itself',
        );
      } finally {
        await context.close();
      }
    });
  });
});
