import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { AuditTrail, NO_AUDIT } from './audit/audit-trail.js';
import { ClusterCounterStore } from './limits/cluster-counter-store.js';
import { MemoryCounterStore, type CounterStore } from './limits/counter-store.js';
import { RedisCounterStore } from './limits/redis-counter-store.js';
import { refuseUnsafeSettings } from './config/check-safety.js';
import type { Config } from './config/schema.js';
import { buildApp, type BuildAppOptions } from './http/build-app.js';
import { createLoggers, type Loggers } from './http/request-log.js';
import { ensureSigningKey } from './keys/ensure-signing-key.js';
import { loadKeyRing } from './keys/load-key-ring.js';
import { reloadKeyRingPeriodically } from './keys/reload-key-ring.js';
import type { SessionContext } from './sessions/session-context.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import type { KeyRing } from './tokens/key-ring.js';
import { VerifiedTokenCache } from './tokens/verified-token-cache.js';
import { BoundedPasswordHasher } from './users/bounded-password-hasher.js';

/** How often a process deletes audit events past their retention (each worker; the delete is idempotent). */
const AUDIT_PRUNE_MS = 60 * 60_000;

function pruneAuditEvents(store: Store, retentionMs: number, clock: () => number): NodeJS.Timeout {
  const prune = setInterval(() => {
    store.deleteAuditEventsBefore(clock() - retentionMs).catch(() => undefined);
  }, AUDIT_PRUNE_MS);
  prune.unref();
  return prune;
}

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

/** Migrations and first-start key generation may take long on a big database: no request waits on them. */
const PREPARE_TIMEOUT_MS = 10 * 60_000;

/**
 * Once per start, before any worker serves: runs migrations (under the store's lock), makes
 * sure a signing key exists, and refuses unusable keys. Throws `config_invalid` naming the
 * setting to change.
 */
export async function prepare(config: Config): Promise<void> {
  refuseUnsafeSettings(config);
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeoutMs: PREPARE_TIMEOUT_MS });
  try {
    await store.migrate();
    await store.deleteRetiredSigningKeys(Date.now());
    await ensureSigningKey(store, config, Date.now());
    await loadKeyRing(store, config, Date.now());
  } finally {
    await store.close();
  }
}

/**
 * Where the abuse limits count: in Redis (every node), else in the primary (every worker of this
 * node), else, for a process of its own (tests, `gatehouse dev`), in memory.
 */
function countersFor(redis: Redis | undefined): CounterStore {
  if (redis !== undefined) return new RedisCounterStore(redis);
  return cluster.isWorker ? new ClusterCounterStore() : new MemoryCounterStore();
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

/**
 * Rate limits skip Redis while it is down (see rate-limits.ts), so an outage is one warning line,
 * and its return one more; ioredis reconnects by itself. Never logs the URL or the error (which
 * may name it).
 */
function reportRedisOutages(redis: Redis, report: (live: boolean) => void): void {
  let down = false;
  redis.on('error', () => {
    if (down) return;
    down = true;
    report(false);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    report(true);
  });
}

export interface RuntimeOptions {
  /** `false` silences logging (tests); default: JSON lines on stdout at GATEHOUSE_LOG_LEVEL. */
  readonly logger?: false;
  /** See BuildAppOptions.onRoute. */
  readonly onRoute?: BuildAppOptions['onRoute'];
}

/** One warning when a shared dependency goes away and one line when it is back; never one per request. */
function outageReporter(logger: Loggers | false, name: string): (live: boolean) => void {
  return (live) => {
    if (logger === false) return;
    if (live) logger.process.info({ event: `${name}_available` }, `${name} is reachable again`);
    else logger.process.warn({ event: `${name}_unavailable` }, `${name} is unreachable; see docs/deployment.md, "When the database is unavailable"`);
  };
}

/** One serving process: store, keys, services and the Fastify app. */
export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger === false ? false : createLoggers(config.logLevel);
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    timeoutMs: config.databaseTimeout,
    sessionStateMaxAgeMs: config.sessionStateMaxAge,
    onSessionChannel: outageReporter(logger, 'session_notifications'),
  });
  let ring: KeyRing;
  try {
    ring = await loadKeyRing(store, config, Date.now());
  } catch (error) {
    await store.close();
    throw error;
  }
  const reload = reloadKeyRingPeriodically(store, config, { get: () => ring, set: (next) => (ring = next) }, logger === false ? undefined : logger.process);

  const redis = config.redisUrl === undefined ? undefined : new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  if (redis !== undefined) reportRedisOutages(redis, outageReporter(logger, 'redis'));
  if (redis !== undefined) await connected(redis, REDIS_CONNECT_MS);
  const clock = Date.now;
  const hasher = new BoundedPasswordHasher(
    { memoryKib: config.argon2MemoryKib, iterations: config.argon2Iterations, parallelism: config.argon2Parallelism },
    // As many hashes at once as this worker's share of the cores: more only slows the event loop.
    { concurrency: Math.max(1, Math.floor(availableParallelism() / (cluster.isWorker ? config.workers : 1))), waiting: config.hashQueueLimit },
  );
  const audit = config.audit
    ? new AuditTrail({
        store,
        clock,
        onWriteState: outageReporter(logger, 'audit_write'),
        onRefused: (events) => logger !== false && logger.process.error({ event: 'audit_batch_refused', events }, 'the database refused a batch of audit events; it was dropped'),
      })
    : NO_AUDIT;
  const pruning = pruneAuditEvents(store, config.auditRetention * 1000, clock);
  const sessions: SessionContext = {
    store,
    config,
    keys: () => ring,
    cache: config.verifiedTokenCache ? new VerifiedTokenCache() : undefined,
    clock,
    randomUUID,
    audit,
  };
  let draining = false;
  const app = await buildApp(
    {
      config,
      store,
      sessions,
      users: { store, hasher, clock, updateLastLogin: config.updateLastLogin, passwordMinLength: config.passwordMinLength, audit },
      keys: () => ring,
      isDraining: () => draining,
      redis,
      counters: countersFor(redis),
    },
    { logger, onRoute: options.onRoute },
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
        clearInterval(pruning);
        try {
          await app.close();
        } finally {
          await audit.close();
          redis?.disconnect();
          await store.close();
          if (logger !== false) logger.flush();
        }
      })();
      return closed;
    },
  };
}
