import { request as httpRequest, type Agent } from 'node:http';

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

/**
 * One HTTP request, by default on a connection of its own (so `gatehouse serve` hands each call
 * to its workers in turn), bounded by a client timeout so that a hang fails the test instead of
 * stalling it.
 *
 * @example
 * const me = await httpCall(`${node.baseUrl}/api/me/`, { bearer: access });
 * assert.equal(me.status, 200);
 */
export function httpCall(url: string, options: CallOptions = {}): Promise<CallAnswer> {
  const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (options.bearer !== undefined) headers['authorization'] = `Bearer ${options.bearer}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? (payload === undefined ? 'GET' : 'POST'), headers, agent: options.agent ?? false });
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
        resolve({ status: res.statusCode ?? 0, body, code, ms: Date.now() - started });
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
