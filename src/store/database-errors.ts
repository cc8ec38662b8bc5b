const UNIQUE_VIOLATION_CODES: ReadonlySet<unknown> = new Set([
  '23505', // PostgreSQL unique_violation
  'SQLITE_CONSTRAINT_UNIQUE',
  'SQLITE_CONSTRAINT_PRIMARYKEY',
]);

/** True when a driver error is a unique-constraint violation, in either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && UNIQUE_VIOLATION_CODES.has(error.code);
}

const SQLITE_BUSY_CODES: ReadonlySet<unknown> = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY', 'SQLITE_LOCKED']);

/** True when SQLite gave up waiting for another process's lock (after busy_timeout). */
export function isSqliteBusy(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && SQLITE_BUSY_CODES.has(error.code);
}

/** Socket-level failures, as node reports them. */
const NETWORK_CODES: ReadonlySet<unknown> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** SQLite result codes (extended ones start with these) that mean "not now", not "wrong". */
const SQLITE_UNAVAILABLE_PREFIXES = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_FULL', 'SQLITE_PROTOCOL'];

/**
 * PostgreSQL SQLSTATEs for a server that cannot serve now: class 08 (connection exception),
 * 53 (insufficient resources: too many connections, out of memory or disk), 57P01–57P03
 * (shutting down, crashed, starting up).
 */
function isPostgresUnavailableState(code: string): boolean {
  return /^(08|53)[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03';
}

/** node-postgres reports its own timeouts and lost connections with messages only. */
const PG_UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'is not queryable',
  'Client was closed',
];

/**
 * True when a driver error says the database cannot be reached or cannot serve right now
 * (answered 503 and retried later), as opposed to a fault in the request or the code.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (code !== undefined) {
    if (NETWORK_CODES.has(code) || isPostgresUnavailableState(code)) return true;
    if (SQLITE_UNAVAILABLE_PREFIXES.some((prefix) => code.startsWith(prefix))) return true;
  }
  const message = error instanceof Error ? error.message : '';
  return PG_UNAVAILABLE_MESSAGES.some((fragment) => message.includes(fragment));
}
