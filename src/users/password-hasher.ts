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

/** A PHC argon2 string (Gatehouse's, or Django's after its `argon2` prefix); the version is optional in old ones. */
const ARGON2_HASH = /^\$argon2(id|i|d)\$(v=\d+\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
/** Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`. */
const PBKDF2_HASH = /^pbkdf2_sha256\$(\d{1,8})\$[^$]+\$[A-Za-z0-9+/]+={0,2}$/;
const MAX_PBKDF2_ITERATIONS = 10_000_000;

function pbkdf2IsCheckable(encoded: string): boolean {
  const iterations = Number(PBKDF2_HASH.exec(encoded)?.[1]);
  return iterations >= 1 && iterations <= MAX_PBKDF2_ITERATIONS;
}

/**
 * True when a stored hash is in a format a login can check: Gatehouse's argon2id, or Django's
 * formats above (bcrypt only within the cost cap), well formed. Other users need a new password.
 */
export function isCheckableHash(encoded: string): boolean {
  if (encoded.startsWith('bcrypt_sha256$')) return bcryptIsCheckable(encoded.slice('bcrypt_sha256$'.length));
  if (encoded.startsWith('bcrypt$')) return bcryptIsCheckable(encoded.slice('bcrypt$'.length));
  if (encoded.startsWith('argon2$')) return ARGON2_HASH.test(encoded.slice('argon2'.length));
  if (encoded.startsWith('pbkdf2_sha256$')) return pbkdf2IsCheckable(encoded);
  return ARGON2_HASH.test(encoded);
}

const NO_MATCH: PasswordCheck = Object.freeze({ matches: false, needsRehash: false });

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
    return this.#argon2Hash(password);
  }

  #argon2Hash(password: string): Promise<string> {
    return argon2Hash(password, {
      algorithm: ARGON2ID as never,
      memoryCost: this.#parameters.memoryKib,
      timeCost: this.#parameters.iterations,
      parallelism: this.#parameters.parallelism,
    });
  }

  /**
   * Checks `password` against a stored hash. A hash that cannot be checked (unusable, an
   * unsupported format, malformed, bcrypt above the cost cap) never matches, and costs what a
   * wrong password costs (the dummy hash is checked), so that timing does not single out those
   * accounts either.
   */
  async check(encoded: string, password: string): Promise<PasswordCheck> {
    const checked = isCheckableHash(encoded) ? await this.#checkKnownFormat(encoded, password) : undefined;
    if (checked !== undefined) return checked;
    await this.verifyDummy(password);
    return NO_MATCH;
  }

  /**
   * Spends the same work as checking a real password, for unknown usernames, so that timing
   * does not tell which usernames exist.
   */
  checkDummy(password: string): Promise<void> {
    return this.verifyDummy(password);
  }

  /**
   * Checks `password` against a hash of a dummy password. Not public: `check` and `checkDummy`
   * both call it, so that a subclass wrapping those two (a limit on concurrent hashing) counts
   * one check once.
   */
  protected async verifyDummy(password: string): Promise<void> {
    // Made here, not through `hash`, which a subclass may refuse under load: a refusal
    // remembered here would fail every later dummy check.
    this.#dummy ??= this.#argon2Hash('gatehouse dummy password');
    await this.#argon2Matches(await this.#dummy, password);
  }

  /** The check of a well-formed hash; undefined when the hashing library refuses it after all. */
  async #checkKnownFormat(encoded: string, password: string): Promise<PasswordCheck | undefined> {
    let matches: boolean | undefined;
    if (encoded.startsWith('$argon2')) {
      matches = await this.#argon2Matches(encoded, password);
      return matches === undefined ? undefined : { matches, needsRehash: matches && !this.#isCurrent(encoded) };
    }
    if (encoded.startsWith('argon2$')) matches = await this.#argon2Matches(encoded.slice('argon2'.length), password);
    else if (encoded.startsWith('pbkdf2_sha256$')) matches = await djangoPbkdf2Matches(encoded, password);
    else if (encoded.startsWith('bcrypt_sha256$')) {
      // Django hashes the password first (so bcrypt's 72-byte limit does not cut it short) and
      // gives bcrypt the hex digest.
      const digest = createHash('sha256').update(password, 'utf8').digest('hex');
      matches = await djangoBcryptMatches(encoded.slice('bcrypt_sha256$'.length), digest);
    } else if (encoded.startsWith('bcrypt$')) matches = await djangoBcryptMatches(encoded.slice('bcrypt$'.length), password);
    return matches === undefined ? undefined : { matches, needsRehash: matches };
  }

  #isCurrent(encoded: string): boolean {
    return encoded.startsWith('$argon2id$') && encoded.split('$')[3] === this.#phcParameters;
  }

  async #argon2Matches(encoded: string, password: string): Promise<boolean | undefined> {
    try {
      return await argon2Verify(encoded, password);
    } catch {
      return undefined;
    }
  }
}

/** Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` (well formed), compared in constant time. */
async function djangoPbkdf2Matches(encoded: string, password: string): Promise<boolean | undefined> {
  const [, iterationsText = '', salt = '', expectedB64 = ''] = encoded.split('$');
  const iterations = Number(iterationsText);
  const expected = Buffer.from(expectedB64, 'base64');
  if (expected.length === 0) return undefined;
  const actual = await pbkdf2Async(password, salt, iterations, expected.length, 'sha256');
  return timingSafeEqual(actual, expected);
}

/** A bcrypt hash (`$2b$12$…`) from a Django `bcrypt_sha256$`/`bcrypt$` hash, cost capped. */
async function djangoBcryptMatches(hash: string, password: string): Promise<boolean | undefined> {
  try {
    return await bcryptVerify(password, hash);
  } catch {
    return undefined;
  }
}
