import { GatehouseError } from '../errors.js';
import { PasswordHasher, type Argon2Parameters, type PasswordCheck } from './password-hasher.js';

export interface HashBounds {
  /** Hashes run at once in this process; the rest wait their turn. */
  readonly concurrency: number;
  /** Hashes that may wait; past it new work is refused at once. 0 = no limit. */
  readonly waiting: number;
}

/**
 * A {@link PasswordHasher} that runs at most `concurrency` hashes at once in this process and
 * lets at most `waiting` more wait their turn; past that it refuses new work at once with 503
 * `service_unavailable`. Why both: argon2 runs on libuv's threads, and on a small machine four of
 * them per worker starve the event loop (every other request slows) without hashing any faster;
 * and a queue without a bound turns a flood of logins into ever longer waits for everyone.
 *
 * @example
 * const hasher = new BoundedPasswordHasher({ memoryKib: 19456, iterations: 2, parallelism: 1 }, { concurrency: 1, waiting: 16 });
 */
export class BoundedPasswordHasher extends PasswordHasher {
  readonly #bounds: HashBounds;
  #running = 0;
  readonly #queue: (() => void)[] = [];

  constructor(parameters: Argon2Parameters, bounds: HashBounds) {
    super(parameters);
    this.#bounds = { concurrency: Math.max(1, bounds.concurrency), waiting: bounds.waiting };
  }

  /** Hashes running or waiting now. */
  get inFlight(): number {
    return this.#running + this.#queue.length;
  }

  override hash(password: string): Promise<string> {
    return this.#bounded(() => super.hash(password));
  }

  override check(encoded: string, password: string): Promise<PasswordCheck> {
    return this.#bounded(() => super.check(encoded, password));
  }

  override checkDummy(password: string): Promise<void> {
    return this.#bounded(() => super.checkDummy(password));
  }

  async #bounded<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#bounds.concurrency) {
      if (this.#bounds.waiting > 0 && this.#queue.length >= this.#bounds.waiting) {
        throw new GatehouseError('service_unavailable', 'Too many sign-ins are being checked right now; try again shortly.');
      }
      // Woken by a finishing hash, which hands its place over: #running does not change.
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    } else {
      this.#running += 1;
    }
    try {
      return await work();
    } finally {
      const next = this.#queue.shift();
      if (next === undefined) this.#running -= 1;
      else next();
    }
  }
}
