import { GatehouseError } from '../errors.js';
import { isDatabaseUnavailable } from './database-errors.js';
import type { Store } from './store.js';

function translated(error: unknown): unknown {
  if (!isDatabaseUnavailable(error)) return error;
  // The cause (which may name the host) is for the server's log only.
  return new GatehouseError('service_unavailable', 'The service is temporarily unavailable; try again shortly.', { cause: error });
}

/**
 * The store with every failure that means "the database cannot serve now" (unreachable, timed
 * out, locked past the busy timeout, shutting down) turned into `service_unavailable` (503), so
 * callers and clients can tell an outage from a fault without knowing the drivers.
 */
export function withUnavailableAs503(store: Store): Store {
  const wrapped: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(store)) {
    if (typeof member !== 'function') {
      wrapped[name] = member;
      continue;
    }
    const method = member as (...args: unknown[]) => unknown;
    wrapped[name] = (...args: unknown[]): unknown => {
      let result: unknown;
      try {
        result = method.apply(store, args);
      } catch (error) {
        throw translated(error);
      }
      return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(translated(error))) : result;
    };
  }
  return wrapped as unknown as Store;
}
