import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { configWith } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { createRuntime, prepare, type Runtime, type RuntimeOptions } from '../../src/runtime.js';
import { checkResponsesOf } from './check-responses.js';
import { createTestDatabase } from './databases.js';

/** Cheap argon2 for tests: the parameters are checked separately. */
export const FAST_HASHING = { argon2MemoryKib: 1024, argon2Iterations: 1 } as const;

/** The abuse limits, off unless a test sets them (tests sign up and fail far more than a person). */
const OFF = Object.freeze({ max: 0, windowSeconds: 0 });
const ABUSE_LIMITS_OFF = { signupRateLimit: OFF, loginAccountLimit: OFF, loginAddressLimit: OFF } as const;

export interface TestApp {
  readonly app: FastifyInstance;
  readonly runtime: Runtime;
  readonly config: Config;
  /** `app.inject` with a JSON body. Like every answer of `app`, checked against the app's API description. */
  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** Registers a user and logs in: returns the token pair. */
  login(username: string, password: string): Promise<{ access: string; refresh: string }>;
  close(): Promise<void>;
}

/** An in-process Gatehouse on a fresh database of `dialect`, migrated and keyed. */
export async function startTestApp(dialect: 'sqlite' | 'postgres', overrides: Partial<Config> = {}, options: Pick<RuntimeOptions, 'onRoute'> = {}): Promise<TestApp> {
  const database = await createTestDatabase(dialect);
  const config = configWith({ ...FAST_HASHING, ...ABUSE_LIMITS_OFF, logLevel: 'silent', databaseUrl: database.databaseUrl, dataDir: database.dataDir, ...overrides });
  await prepare(config);
  const runtime = await checkedRuntime(config, options);
  const app = runtime.app;
  const request: TestApp['request'] = (method, url, body, headers = {}) => {
    const options: InjectOptions = { method, url, headers };
    if (body !== undefined) options.payload = body as InjectOptions['payload'];
    return app.inject(options);
  };
  return {
    app,
    runtime,
    config,
    request,
    async login(username, password) {
      const response = await request('POST', '/api/token/', { username, password });
      if (response.statusCode !== 200) throw new Error(`login failed with ${response.statusCode}`);
      return response.json<{ access: string; refresh: string }>();
    },
    async close() {
      try {
        await runtime.close();
      } finally {
        await database.drop();
      }
    },
  };
}

/**
 * A runtime whose every answer is checked against its API description (see checkResponsesOf):
 * `inject` throws on a violation, and `close()` throws the violations of answers to real
 * connections. For a second process's view of a test app's database.
 */
export async function checkedRuntime(config: Config, options: Pick<RuntimeOptions, 'onRoute'> = {}): Promise<Runtime> {
  const runtime = await createRuntime(config, { ...options, logger: false });
  const checks = checkResponsesOf(runtime.app);
  return {
    ...runtime,
    async close() {
      await runtime.close();
      checks.verify();
    },
  };
}

/** The decoded (unverified) parts of a JWT. */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header = '', payload = ''] = token.split('.');
  const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: decode(header), payload: decode(payload) };
}
