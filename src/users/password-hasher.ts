import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** argon2id cost parameters (OWASP: 19 MiB, t=2, p=1). */
export interface Argon2Parameters {
  readonly memoryKib: number;
  readonly iterations: number;
  readonly parallelism: number;
}

export interface PasswordCheck {
  readonly matches: boolean;
  /** True when the hash should be replaced by an argon2id hash with today's parameters. */
  readonly needsRehash: boolean;
}

// @node-rs/argon2's Algorithm is a const enum, which isolated modules cannot read: 2 is Argon2id.
const ARGON2ID = 2;

/**
 * Hashes and checks passwords: argon2id for new hashes; Django `pbkdf2_sha256$` and `argon2$`
 * hashes are still accepted so imported users keep their passwords, and flagged for rehash.
 */
export class PasswordHasher {
  readonly #parameters: Argon2Parameters;
  readonly #phcParameters: string;
  #dummy: Promise<string> | undefined;

  constructor(parameters: Argon2Parameters) {
    this.#parameters = parameters;
    this.#phcParameters = `m=${parameters.memoryKib},t=${parameters.iterations},p=${parameters.parallelism}`;
  }

  hash(password: string): Promise<string> {
    return argon2Hash(password, {
      algorithm: ARGON2ID as never,
      memoryCost: this.#parameters.memoryKib,
      timeCost: this.#parameters.iterations,
      parallelism: this.#parameters.parallelism,
    });
  }

  async check(encoded: string, password: string): Promise<PasswordCheck> {
    if (encoded.startsWith('$argon2')) {
      const matches = await this.#argon2Matches(encoded, password);
      return { matches, needsRehash: matches && !this.#isCurrent(encoded) };
    }
    if (encoded.startsWith('argon2$')) {
      const matches = await this.#argon2Matches(encoded.slice('argon2'.length), password);
      return { matches, needsRehash: matches };
    }
    if (encoded.startsWith('pbkdf2_sha256$')) {
      const matches = await djangoPbkdf2Matches(encoded, password);
      return { matches, needsRehash: matches };
    }
    return { matches: false, needsRehash: false };
  }

  /**
   * Spends the same work as checking a real password, for unknown usernames, so that timing
   * does not tell which usernames exist.
   */
  async checkDummy(password: string): Promise<void> {
    this.#dummy ??= this.hash('gatehouse dummy password');
    await this.check(await this.#dummy, password);
  }

  #isCurrent(encoded: string): boolean {
    return encoded.startsWith('$argon2id$') && encoded.split('$')[3] === this.#phcParameters;
  }

  async #argon2Matches(encoded: string, password: string): Promise<boolean> {
    try {
      return await argon2Verify(encoded, password);
    } catch {
      return false;
    }
  }
}

/** Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`, compared in constant time. */
async function djangoPbkdf2Matches(encoded: string, password: string): Promise<boolean> {
  const [, iterationsText = '', salt = '', expectedB64 = ''] = encoded.split('$');
  const iterations = Number(iterationsText);
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > 10_000_000) return false;
  const expected = Buffer.from(expectedB64, 'base64');
  if (expected.length === 0) return false;
  const actual = await pbkdf2Async(password, salt, iterations, expected.length, 'sha256');
  return timingSafeEqual(actual, expected);
}
