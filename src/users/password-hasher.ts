import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';
import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto';
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
 * Highest bcrypt cost checked. Django uses 12; every step doubles the work, and a login must not
 * be made to run for minutes by a hash in an imported file (the format allows up to 31).
 */
const MAX_BCRYPT_COST = 16;

/** A modular-crypt bcrypt hash: version, two-digit cost, 22 characters of salt, 31 of hash. */
const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/** True for a well-formed bcrypt hash whose cost this server will run. */
function bcryptIsCheckable(hash: string): boolean {
  const cost = Number(BCRYPT_HASH.exec(hash)?.[1]);
  return cost >= 4 && cost <= MAX_BCRYPT_COST;
}

/**
 * True when a stored hash is in a format a login can check: Gatehouse's argon2id, or Django's
 * formats above (bcrypt only within the cost cap). Other users need a new password.
 */
export function isCheckableHash(encoded: string): boolean {
  if (encoded.startsWith('bcrypt_sha256$')) return bcryptIsCheckable(encoded.slice('bcrypt_sha256$'.length));
  if (encoded.startsWith('bcrypt$')) return bcryptIsCheckable(encoded.slice('bcrypt$'.length));
  return /^(\$argon2|argon2\$argon2id?\$|pbkdf2_sha256\$)/.test(encoded);
}

/**
 * Hashes and checks passwords: argon2id for new hashes; Django `pbkdf2_sha256$`, `argon2$`,
 * `bcrypt_sha256$` and `bcrypt$` hashes are still accepted so imported users keep their
 * passwords, and flagged for rehash.
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
    if (encoded.startsWith('bcrypt_sha256$')) {
      // Django hashes the password first (so bcrypt's 72-byte limit does not cut it short) and
      // gives bcrypt the hex digest.
      const digest = createHash('sha256').update(password, 'utf8').digest('hex');
      const matches = await djangoBcryptMatches(encoded.slice('bcrypt_sha256$'.length), digest);
      return { matches, needsRehash: matches };
    }
    if (encoded.startsWith('bcrypt$')) {
      const matches = await djangoBcryptMatches(encoded.slice('bcrypt$'.length), password);
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

/** A bcrypt hash (`$2b$12$…`) from a Django `bcrypt_sha256$`/`bcrypt$` hash, cost capped. */
async function djangoBcryptMatches(hash: string, password: string): Promise<boolean> {
  if (!bcryptIsCheckable(hash)) return false;
  try {
    return await bcryptVerify(password, hash);
  } catch {
    return false;
  }
}
