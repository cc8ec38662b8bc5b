import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import type { CounterStore } from '../limits/counter-store.js';
import type { SessionContext } from '../sessions/session-context.js';
import type { Store } from '../store/store.js';
import type { KeyRing } from '../tokens/key-ring.js';
import type { UserContext } from '../users/authenticate-user.js';
import type { CreateUserContext } from '../users/create-user.js';

/** Everything the routes use; built once per process by the runtime. */
export interface AppContext {
  readonly config: Config;
  readonly store: Store;
  readonly sessions: SessionContext;
  readonly users: UserContext & CreateUserContext;
  readonly keys: () => KeyRing;
  /** True once a graceful shutdown began: /readyz fails first. */
  readonly isDraining: () => boolean;
  readonly redis: Redis | undefined;
  /** Where the abuse limits count: this node (the primary), or every node (Redis). */
  readonly counters: CounterStore;
}
