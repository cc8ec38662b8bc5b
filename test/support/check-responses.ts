// Every answer an in-process app gives is checked against the app's own OpenAPI document: through
// `app.inject` the failure is thrown at the call; answers to real connections (a test that made
// the app listen) are collected and thrown by `verify()` when the test app closes.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { AssertionError } from 'node:assert';
import type { IncomingMessage } from 'node:http';
import { conformanceOf, type Conformance, type ObservedResponse } from './openapi-conformance.js';

type Inject = (options: InjectOptions | string) => Promise<LightMyRequestResponse>;

export interface ResponseChecks {
  /** Throws the failures of answers no `inject` call received (answers to real connections). */
  verify(): void;
}

/** Where two JSON texts differ, by path and kind only: never a value (it may be a token). */
function differences(before: unknown, after: unknown, path = ''): string[] {
  const kind = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
  if (kind(before) !== kind(after)) return [`${path || '/'}: ${kind(before)} became ${kind(after)}`];
  if (typeof before !== 'object' || before === null || typeof after !== 'object' || after === null) {
    return before === after ? [] : [`${path || '/'}: the ${kind(before)} changed`];
  }
  const keysBefore = Object.keys(before);
  const keysAfter = Object.keys(after);
  const found = [
    ...keysBefore.filter((key) => !keysAfter.includes(key)).map((key) => `${path}/${key}: dropped`),
    ...keysAfter.filter((key) => !keysBefore.includes(key)).map((key) => `${path}/${key}: added`),
  ];
  if (found.length === 0 && keysBefore.join() !== keysAfter.join()) found.push(`${path || '/'}: keys reordered from [${keysBefore.join(', ')}] to [${keysAfter.join(', ')}]`);
  for (const key of keysBefore.filter((name) => keysAfter.includes(name))) {
    found.push(...differences((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key], `${path}/${key}`));
  }
  return found;
}

function bodyText(payload: unknown): string | undefined {
  if (payload === undefined || payload === null) return '';
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.toString('utf8');
  return undefined;
}

/**
 * Checks every answer of `app` (a Gatehouse app not yet ready) against its own OpenAPI document
 * (`app.swagger()`, which exists whether or not GATEHOUSE_API_DOCS serves it), and that serialising with the response schemas changed no byte of what the handler
 * sent. Answers of routes hidden from the document (static files, /docs, /openapi.json) are not
 * API answers and are left alone; test/openapi.test.ts pins which routes those are.
 */
export function checkResponsesOf(app: FastifyInstance): ResponseChecks {
  let conformance: Conformance | undefined;
  const check = (response: ObservedResponse): void => (conformance ??= conformanceOf(app.swagger())).check(response);
  const serialisedFrom = new WeakMap<IncomingMessage, string>();
  const seen = new WeakSet<IncomingMessage>();
  const failures = new Map<IncomingMessage, unknown>();

  app.addHook('preSerialization', async (request, _reply, payload) => {
    serialisedFrom.set(request.raw, JSON.stringify(payload));
    return payload;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    seen.add(request.raw);
    if (request.routeOptions.schema?.hide === true) return payload;
    try {
      const body = bodyText(payload);
      if (body === undefined) throw new AssertionError({ message: `${request.method} ${request.routeOptions.url ?? request.url}: a streamed body, which no API route sends` });
      const contentType = reply.getHeader('content-type');
      check({ method: request.method, url: request.url, status: reply.statusCode, contentType: contentType === undefined ? undefined : String(contentType), body });
      const before = serialisedFrom.get(request.raw);
      if (before !== undefined && before !== body) {
        const found = differences(JSON.parse(before), JSON.parse(body));
        throw new AssertionError({
          message: `${request.method} ${request.routeOptions.url ?? request.url} ${reply.statusCode}: the response schema changed the body: ${found.slice(0, 6).join('; ') || 'same JSON, other bytes'}`,
        });
      }
    } catch (error) {
      failures.set(request.raw, error);
    }
    return payload;
  });

  const inject = app.inject.bind(app) as Inject;
  const checkedInject: Inject = async (options) => {
    if (typeof options !== 'object' && typeof options !== 'string') throw new Error('inject needs its options here (no chained or callback form)');
    const response = await inject(options);
    const request = response.raw.req;
    if (failures.has(request)) {
      const failure = failures.get(request);
      failures.delete(request);
      throw failure;
    }
    // Answered without Fastify's hooks (e.g. while closing): check what the client got.
    if (!seen.has(request)) {
      const contentType = response.headers['content-type'];
      check({ method: request.method ?? 'GET', url: request.url ?? '/', status: response.statusCode, contentType: contentType === undefined ? undefined : String(contentType), body: response.body });
    }
    return response;
  };
  (app as { inject: unknown }).inject = checkedInject;

  return {
    verify() {
      const left = [...failures.values()];
      failures.clear();
      if (left.length > 0) throw left[0];
    },
  };
}
