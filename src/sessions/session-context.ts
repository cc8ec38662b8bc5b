import type { AuditRecorder } from '../audit/audit-trail.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { KeyRing } from '../tokens/key-ring.js';
import type { VerifiedTokenCache } from '../tokens/verified-token-cache.js';

/** What the session services need: the store, settings, current keys, a clock and randomness. */
export interface SessionContext {
  readonly store: Store;
  readonly config: Config;
  /** The key ring in force now (it changes on rotation). */
  readonly keys: () => KeyRing;
  readonly cache: VerifiedTokenCache | undefined;
  /** Epoch milliseconds. */
  readonly clock: () => number;
  readonly randomUUID: () => string;
  /** Where session events (logins, refreshes, logouts, reuse) are recorded. */
  readonly audit: AuditRecorder;
}

export interface TokenPair {
  readonly access: string;
  /** Absent when rotation is off and a refresh only renews the access token. */
  readonly refresh?: string;
}
