import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { refuseUnsafeSettings } from './config/check-safety.js';
import type { Config } from './config/schema.js';
import { buildApp } from './http/build-app.js';
import { createLoggers } from './http/request-log.js';
import { ensureSigningKey } from './keys/ensure-signing-key.js';
import { loadKeyRing } from './keys/load-key-ring.js';
import type { SessionContext } from './sessions/session-context.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import type { KeyRing } from './tokens/key-ring.js';
import { VerifiedTokenCache } from './tokens/verified-token-cache.js';
import { PasswordHasher } from './users/password-hasher.js';

/** How often a process re-reads the signing keys, so rotations reach every worker. */
const KEY_RELOAD_MS = 60_000;

export interface Runtime {
  /** The application, not yet listening: hooks can still be added. */
  readonly app: FastifyInstance;
  readonly store: Store;
  /** What the session services work with: the store, the keys in force, the token cache. */
  readonly sessions: SessionContext;
  /** From now on /readyz answers 503, so load balancers stop sending new work. */
  setDraining(): void;
  /** Closes the app (finishing in-flight requests), then the store and Redis. */
  close(): Promise<void>;
}

function openConfiguredStore(config: Config): Promise<Store> {
  return openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
}

/**
 * Once per start, before any worker serves: runs migrations (under the store's lock), makes
 * sure a signing key exists, and refuses unusable keys. Throws `config_invalid` naming the
 * setting to change.
 */
export async function prepare(config: Config): Promise<void> {
  refuseUnsafeSettings(config);
  const store = await openConfiguredStore(config);
  try {
    await store.migrate();
    await store.deleteRetiredSigningKeys(Date.now());
    await ensureSigningKey(store, config, Date.now());
    await loadKeyRing(store, config, Date.now());
  } finally {
    await store.close();
  }
}

/** How long a starting process waits for Redis before serving with per-request fallbacks. */
const REDIS_CONNECT_MS = 5000;

/** Resolves when Redis is ready, or after `ms` (commands then fail fast and limits are skipped). */
function connected(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
  });
}

export interface RuntimeOptions {
  /** `false` silences logging (tests); default: JSON lines on stdout at GATEHOUSE_LOG_LEVEL. */
  readonly logger?: false;
}

/** One serving process: store, keys, services and the Fastify app. */
export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const store = await openConfiguredStore(config);
  let ring: KeyRing;
  try {
    ring = await loadKeyRing(store, config, Date.now());
  } catch (error) {
    await store.close();
    throw error;
  }
  const reload = setInterval(() => {
    loadKeyRing(store, config, Date.now(), ring).then((next) => (ring = next), () => undefined);
  }, KEY_RELOAD_MS);
  reload.unref();

  const redis = config.redisUrl === undefined ? undefined : new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis?.on('error', () => undefined); // rate limits skip on error; never log the URL
  if (redis !== undefined) await connected(redis, REDIS_CONNECT_MS);
  const clock = Date.now;
  const hasher = new PasswordHasher({
    memoryKib: config.argon2MemoryKib,
    iterations: config.argon2Iterations,
    parallelism: config.argon2Parallelism,
  });
  const sessions: SessionContext = {
    store,
    config,
    keys: () => ring,
    cache: config.verifiedTokenCache ? new VerifiedTokenCache() : undefined,
    clock,
    randomUUID,
  };
  let draining = false;
  const logger = options.logger === false ? false : createLoggers(config.logLevel);
  const app = await buildApp(
    {
      config,
      store,
      sessions,
      users: { store, hasher, clock, updateLastLogin: config.updateLastLogin, passwordMinLength: config.passwordMinLength },
      keys: () => ring,
      isDraining: () => draining,
      redis,
    },
    { logger },
  );
  let closed: Promise<void> | undefined;
  return {
    app,
    store,
    sessions,
    setDraining: () => {
      draining = true;
    },
    close: () => {
      closed ??= (async () => {
        draining = true;
        clearInterval(reload);
        try {
          await app.close();
        } finally {
          redis?.disconnect();
          await store.close();
          if (logger !== false) logger.flush();
        }
      })();
      return closed;
    },
  };
}
