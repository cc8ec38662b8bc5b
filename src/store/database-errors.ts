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
