import { availableParallelism } from 'node:os';
import { SUPPORTED_ALGORITHMS } from '../../verify/algorithms.js';
import { duration, flag, integer, list, milliseconds, oneOf, optionalText, rateLimit, text } from './setting.js';

/** Every JWS algorithm Gatehouse signs with: the ones gatehouse/verify checks. */
export const ALGORITHMS = SUPPORTED_ALGORITHMS;
export type Algorithm = (typeof ALGORITHMS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every setting of Gatehouse, in one place. `example.env` and docs/configuration.md's table are
 * generated from this (`gatehouse config example`). Add a setting here and nowhere else.
 */
export const SCHEMA = {
  // Where settings come from (read before the rest; see src/config/env-file.ts)
  envFile: optionalText('GATEHOUSE_ENV_FILE', 'A KEY=value file whose settings override the environment; re-read by the workers of a SIGHUP rolling restart.'),

  // Where it listens and what it stores
  host: text('HOST', '127.0.0.1', 'Address to listen on.'),
  port: integer('PORT', 8000, 0, 65535, 'TCP port to listen on.'),
  dataDir: text('GATEHOUSE_DATA_DIR', './data', 'Directory for the SQLite database (created if missing).'),
  databaseUrl: optionalText('GATEHOUSE_DATABASE_URL', 'postgres://user@host:5432/db for PostgreSQL; unset = SQLite file gatehouse.sqlite3 in the data directory (or sqlite:/path/to/file).', { secret: true }),
  redisUrl: optionalText('GATEHOUSE_REDIS_URL', 'redis://host:6379 to share rate limits across nodes (revocations travel through the database); unset = per-process limits.', { secret: true }),

  databaseTimeout: milliseconds('GATEHOUSE_DATABASE_TIMEOUT', '2s', 100, 60_000, 'How long a request waits for the database (PostgreSQL connect and each query; SQLite another process\'s write lock); past it the request answers 503 service_unavailable.'),
  sessionStateMaxAge: milliseconds('GATEHOUSE_SESSION_STATE_MAX_AGE', '1s', 0, 3_600_000, 'The oldest session state (user active, login not revoked) a process may answer from memory; a revocation is honoured everywhere at most this long after it commits, usually within milliseconds. 0 = a database read on every check.'),

  // Tokens (simplejwt's SIMPLE_JWT settings)
  accessTokenLifetime: duration('GATEHOUSE_ACCESS_TOKEN_LIFETIME', '5m', 1, 'Access token lifetime.'),
  refreshTokenLifetime: duration('GATEHOUSE_REFRESH_TOKEN_LIFETIME', '24h', 1, 'Refresh token lifetime.'),
  rotateRefreshTokens: flag('GATEHOUSE_ROTATE_REFRESH_TOKENS', true, 'Issue a new refresh token on every refresh and blacklist the old one (reuse revokes the login).'),
  rotationGrace: duration('GATEHOUSE_ROTATION_GRACE', '10s', 0, 'A refresh token presented again this soon after its rotation, while its successor is unused, gets that same successor (concurrent tabs, retries) instead of revoking the login; 0 = strict.'),
  updateLastLogin: flag('GATEHOUSE_UPDATE_LAST_LOGIN', true, 'Record last_login on every login.'),
  algorithm: oneOf('GATEHOUSE_ALGORITHM', 'ES256', ALGORITHMS, 'Signing algorithm.'),
  signingKey: optionalText('GATEHOUSE_SIGNING_KEY', 'HMAC secret (HS*, at least the hash size in bytes) or private key as PEM or JWK; unset with an asymmetric algorithm = generated and kept in the database.', { secret: true }),
  keyEncryptionKey: optionalText('GATEHOUSE_KEY_ENCRYPTION_KEY', 'Encrypts generated private keys at rest (at least 32 characters).', { secret: true }),
  keyPrepublish: duration('GATEHOUSE_KEY_PREPUBLISH', '1h', 0, 'How long a rotated-in key is published in JWKS before it signs.'),
  issuer: optionalText('GATEHOUSE_ISSUER', 'The iss claim written and required; unset = none.'),
  publicUrl: optionalText('GATEHOUSE_PUBLIC_URL', 'The URL clients reach Gatehouse at (https://auth.example.com): OAuth metadata (/.well-known/oauth-authorization-server) names its endpoints under it, never under a forwarded host. Unset = GATEHOUSE_ISSUER when that is an http(s) URL, else the request\'s own Host header (answered with Cache-Control: no-store).'),
  audience: optionalText('GATEHOUSE_AUDIENCE', 'The aud claim written and required; unset = none.'),
  verifiedTokenCache: flag('GATEHOUSE_VERIFIED_TOKEN_CACHE', true, 'Remember tokens whose signature already checked out until they expire (skips repeated signature checks; revocation is still checked).'),
  leeway: duration('GATEHOUSE_LEEWAY', '0', 0, 'Clock skew allowed when checking exp and nbf.'),

  // Accounts
  registration: flag('GATEHOUSE_REGISTRATION', true, 'Allow POST /api/users/ (self sign-up).'),
  passwordMinLength: integer('GATEHOUSE_PASSWORD_MIN_LENGTH', 8, 1, 1024, 'Shortest password accepted at registration and password change.'),
  argon2MemoryKib: integer('GATEHOUSE_ARGON2_MEMORY_KIB', 19456, 1024, 4194304, 'argon2id memory cost in KiB (OWASP: 19456).'),
  argon2Iterations: integer('GATEHOUSE_ARGON2_ITERATIONS', 2, 1, 100, 'argon2id time cost (OWASP: 2).'),
  argon2Parallelism: integer('GATEHOUSE_ARGON2_PARALLELISM', 1, 1, 16, 'argon2id lanes (OWASP: 1).'),
  loginRateLimit: rateLimit('GATEHOUSE_LOGIN_RATE_LIMIT', '20/1m', 'Login attempts per client address and username.'),
  loginAccountLimit: rateLimit('GATEHOUSE_LOGIN_ACCOUNT_LIMIT', '10/15m', 'Failed logins per account in the window before each further one must wait, from 1 s doubling up to the window (429 with Retry-After). Logins from an address or browser that signed in to that account before are exempt.'),
  loginAddressLimit: rateLimit('GATEHOUSE_LOGIN_ADDRESS_LIMIT', '30/15m', 'Failed logins per client address (IPv6: per /64), across usernames.'),
  signupRateLimit: rateLimit('GATEHOUSE_SIGNUP_RATE_LIMIT', '10/1h', 'Sign-ups per client address (IPv6: per /64).'),
  hashQueueLimit: integer('GATEHOUSE_HASH_QUEUE_LIMIT', 16, 0, 100_000, 'Password hashes that may wait per worker (each worker runs as many at once as its share of the CPUs); past it logins, sign-ups and password changes answer 503 at once rather than queueing. 0 = no limit.'),

  audit: flag('GATEHOUSE_AUDIT', true, 'Record the audit trail (logins, refreshes, logouts, account and admin changes) in the database.'),
  auditRetention: duration('GATEHOUSE_AUDIT_RETENTION', '90d', 1, 'How long audit events are kept.'),

  // HTTP
  bodyLimit: integer('GATEHOUSE_BODY_LIMIT', 65536, 1024, 10485760, 'Largest request body in bytes.'),
  logLevel: oneOf('GATEHOUSE_LOG_LEVEL', 'info', LOG_LEVELS, 'Log level (JSON lines on stdout).'),
  trustedProxies: list('GATEHOUSE_TRUSTED_PROXIES', '127.0.0.1,::1', 'Proxy addresses (or CIDRs) whose X-Forwarded-For/-Proto are believed.'),
  refreshCookie: flag('GATEHOUSE_REFRESH_COOKIE', false, 'Cookie mode: the refresh token travels only in an HttpOnly cookie.'),
  corsOrigins: list('GATEHOUSE_CORS_ORIGINS', '', 'Origins allowed to call the API from a browser (comma-separated); empty = none.'),
  metrics: flag('GATEHOUSE_METRICS', true, 'Serve Prometheus metrics at /metrics.'),
  apiDocs: flag('GATEHOUSE_API_DOCS', true, 'Serve the OpenAPI 3.1 description of the API at /openapi.json and its reference page at /docs.'),
  webDir: optionalText('GATEHOUSE_WEB_DIR', 'Directory of the demo page served at /; unset = the built-in one.'),

  // Process model (gatehouse serve)
  workers: integer('GATEHOUSE_WORKERS', availableParallelism(), 1, 256, 'Worker processes (default: number of CPUs).'),
  gracefulTimeout: duration('GATEHOUSE_GRACEFUL_TIMEOUT', '30s', 0, 'How long in-flight requests may finish on shutdown.'),
  maxRequests: integer('GATEHOUSE_MAX_REQUESTS', 0, 0, 1e9, 'Recycle a worker after this many requests; 0 = never.'),
  maxRequestsJitter: integer('GATEHOUSE_MAX_REQUESTS_JITTER', 0, 0, 1e9, 'Random extra requests added to max requests per worker.'),
  requestTimeout: duration('GATEHOUSE_REQUEST_TIMEOUT', '30s', 1, 'Longest a single request may take.'),
  keepAliveTimeout: duration('GATEHOUSE_KEEP_ALIVE_TIMEOUT', '75s', 1, 'Idle keep-alive timeout; keep it longer than the proxy\'s upstream keepalive_timeout.'),

  // OAuth endpoints (RFC 7662 introspection)
  introspectionClients: list('GATEHOUSE_INTROSPECTION_CLIENTS', '', 'client_id:secret pairs allowed to call POST /oauth/introspect.', { secret: true }),
  introspectionFailureLimit: rateLimit('GATEHOUSE_INTROSPECTION_FAILURE_LIMIT', '20/15m', 'Failed client authentications at POST /oauth/introspect per client address (IPv6: per /64) before 429.'),
} as const;

type SettingValue<S> = S extends { readonly unset: infer T } ? T : never;

/** The parsed, frozen configuration. */
export type Config = { readonly [K in keyof typeof SCHEMA]: SettingValue<(typeof SCHEMA)[K]> };
