import { GatehouseError } from '../errors.js';
import { PasswordHasher, type Argon2Parameters, type PasswordCheck } from './password-hasher.js';

/**
 * A {@link PasswordHasher} that refuses new work at once, with 503 `service_unavailable`, while
 * `limit` hashes are already running or waiting in this process (argon2 runs on libuv's four
 * threads; the rest wait). In a flood of logins the answers then stay fast, some of them
 * refusals, instead of every login waiting longer and longer. `limit` 0 means no limit.
 *
 * @example
 * const hasher = new BoundedPasswordHasher({ memoryKib: 19456, iterations: 2, parallelism: 1 }, 64);
 */
export class BoundedPasswordHasher extends PasswordHasher {
  readonly #limit: number;
  #inFlight = 0;

  constructor(parameters: Argon2Parameters, limit: number) {
    super(parameters);
    this.#limit = limit;
  }

  /** Hashes running or waiting now. */
  get inFlight(): number {
    return this.#inFlight;
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
    if (this.#limit > 0 && this.#inFlight >= this.#limit) {
      throw new GatehouseError('service_unavailable', 'Too many sign-ins are being checked right now; try again shortly.');
    }
    this.#inFlight += 1;
    try {
      return await work();
    } finally {
      this.#inFlight -= 1;
    }
  }
}
