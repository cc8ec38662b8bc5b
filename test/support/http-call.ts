import { request as httpRequest, type Agent } from 'node:http';
import { conformanceOf, type Conformance } from './openapi-conformance.js';

export interface CallOptions {
  readonly method?: string;
  /** Sent as JSON (`content-type: application/json`). */
  readonly json?: unknown;
  /** Sent as `Authorization: Bearer …`. */
  readonly bearer?: string;
  /** More request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The call fails (rejects) if the whole answer has not arrived by then; default 10 s. */
  readonly timeoutMs?: number;
  /** Keep-alive connections from this agent; default: a connection of its own for this call. */
  readonly agent?: Agent;
  /**
   * Why the answer is not one of Gatehouse's API (nginx's own page, the demo page): only then is
   * it not checked against the API description.
   */
  readonly notApi?: string;
}

export interface CallAnswer {
  readonly status: number;
  /** The parsed JSON body, or the text when it is not JSON. */
  readonly body: unknown;
  /** `body.code` when the body is an object with a string `code`. */
  readonly code: string | undefined;
  /** From sending the request to the end of the answer. */
  readonly ms: number;
}

let defaultConformance: Promise<Conformance> | undefined;

/**
 * The API description of a server with the default settings, built in-process once: what the
 * servers these calls reach (spawned with the default settings, or only the abuse limits changed)
 * answer. A server started with settings that change the API (cookie mode, say) needs its own.
 */
function conformanceOfDefaultServer(): Promise<Conformance> {
  defaultConformance ??= (async () => {
    const [{ startTestApp }, { configWith }] = await Promise.all([import('./test-app.js'), import('../../src/config/load-config.js')]);
    const defaults = configWith({});
    const app = await startTestApp('sqlite', { signupRateLimit: defaults.signupRateLimit, loginAccountLimit: defaults.loginAccountLimit, loginAddressLimit: defaults.loginAddressLimit });
    try {
      await app.app.ready();
      return conformanceOf(app.app.swagger());
    } finally {
      await app.close();
    }
  })();
  return defaultConformance;
}

/**
 * One HTTP request, by default on a connection of its own (so `gatehouse serve` hands each call
 * to its workers in turn), bounded by a client timeout so that a hang fails the test instead of
 * stalling it. The answer must be one the API description documents (else an AssertionError),
 * unless `notApi` says why it is not an API answer.
 *
 * @example
 * const me = await httpCall(`${node.baseUrl}/api/me/`, { bearer: access });
 * assert.equal(me.status, 200);
 */
export async function httpCall(url: string, options: CallOptions = {}): Promise<CallAnswer> {
  const { answer, contentType, text, method } = await exchange(url, options);
  if (options.notApi === undefined) (await conformanceOfDefaultServer()).check({ method, url, status: answer.status, contentType, body: text });
  return answer;
}

/**
 * `fetch`, with the answer checked against the API description as httpCall checks its own (the
 * body is read from a clone: the caller still has it). For calls to spawned servers and clients
 * (the SDK) talking to them.
 *
 * @example const response = await checkedFetch(`${server.baseUrl}/api/me/`, { headers: { authorization } });
 */
export const checkedFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const request = input instanceof Request ? input : undefined;
  (await conformanceOfDefaultServer()).check({
    method: init?.method ?? request?.method ?? 'GET',
    url: request?.url ?? String(input),
    status: response.status,
    contentType: response.headers.get('content-type') ?? undefined,
    body: await response.clone().text(),
  });
  return response;
};

function exchange(url: string, options: CallOptions): Promise<{ answer: CallAnswer; contentType: string | undefined; text: string; method: string }> {
  const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (options.bearer !== undefined) headers['authorization'] = `Bearer ${options.bearer}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const method = options.method ?? (payload === undefined ? 'GET' : 'POST');
    const req = httpRequest(url, { method, headers, agent: options.agent ?? false });
    const timer = setTimeout(() => req.destroy(new Error(`no answer from ${new URL(url).pathname} within ${timeoutMs} ms`)), timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        const code = typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string' ? (body as { code: string }).code : undefined;
        resolve({ answer: { status: res.statusCode ?? 0, body, code, ms: Date.now() - started }, contentType: res.headers['content-type'], text, method });
      });
      res.on('error', reject);
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(payload);
  });
}
