import { constants, createHmac, generateKeyPairSync, randomBytes, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { TokenClaims } from '../src/tokens/claims.js';
import { createKeyRing } from '../src/tokens/key-ring.js';
import { signToken } from '../src/tokens/sign-token.js';
import { ALGORITHM_SPECS, SUPPORTED_ALGORITHMS, type JwsAlgorithm } from '../verify/algorithms.js';
import { createVerifier } from '../verify/create-verifier.js';

/** One row of {@link benchVerify}: operations per second, Gatehouse's path next to raw node:crypto. */
export interface VerifyBenchRow {
  algorithm: string;
  /** Gatehouse's signing path (src/tokens/sign-token.ts). */
  signOps: number;
  /** createVerifier(...).verify with the token cache off (default `node` engine). */
  verifyOps: number;
  /** node:crypto sign (or HMAC) of the same signing input with the same key. */
  rawSignOps: number;
  /** node:crypto verify (or HMAC + timingSafeEqual) of the same input and signature. */
  rawVerifyOps: number;
  /** The same verifier with `engine: 'jose'` (jose compactVerify after the same checks). */
  joseVerifyOps: number;
  /** The default verifier with its verified-token cache on, same token repeated. */
  cachedVerifyOps: number;
}

interface BenchKey {
  signing: KeyObject | Buffer;
  jwk: Record<string, unknown>;
}

function makeBenchKey(alg: JwsAlgorithm): BenchKey {
  const spec = ALGORITHM_SPECS[alg];
  if (spec.family === 'hmac') {
    const secret = randomBytes(spec.minKeyBytes);
    return { signing: secret, jwk: { kty: 'oct', k: secret.toString('base64url'), alg, kid: 'bench' } };
  }
  const pair = spec.family === 'rsa' || spec.family === 'pss'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : spec.family === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: spec.curve })
      : generateKeyPairSync('ed25519');
  return { signing: pair.privateKey, jwk: { ...pair.publicKey.export({ format: 'jwk' }), alg, kid: 'bench' } };
}

function rawSigner(alg: JwsAlgorithm, key: KeyObject | Buffer): (input: Buffer) => Buffer {
  const spec = ALGORITHM_SPECS[alg];
  switch (spec.family) {
    case 'hmac': return (input) => createHmac(spec.hash, key).update(input).digest();
    case 'rsa': return (input) => sign(spec.hash, input, key as KeyObject);
    case 'pss': return (input) => sign(spec.hash, input, { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.hashBytes });
    case 'ec': return (input) => sign(spec.hash, input, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
    case 'eddsa': return (input) => sign(null, input, key as KeyObject);
  }
}

function rawVerifier(alg: JwsAlgorithm, key: BenchKey): (input: Buffer, signature: Buffer) => boolean {
  const spec = ALGORITHM_SPECS[alg];
  if (spec.family === 'hmac') {
    return (input, signature) => timingSafeEqual(createHmac(spec.hash, key.signing).update(input).digest(), signature);
  }
  const publicKey = (key.signing as KeyObject);
  switch (spec.family) {
    case 'rsa': return (input, signature) => verify(spec.hash, input, publicKey, signature);
    case 'pss': return (input, signature) => verify(spec.hash, input, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.hashBytes }, signature);
    case 'ec': return (input, signature) => verify(spec.hash, input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    case 'eddsa': return (input, signature) => verify(null, input, publicKey, signature);
  }
}

async function opsPerSecond(durationMs: number, op: () => unknown): Promise<number> {
  for (let i = 0; i < 20; i++) await op(); // warm-up
  let count = 0;
  const start = performance.now();
  const end = start + durationMs;
  let now = start;
  while (now < end) {
    // Check the clock every 8 operations so timing does not dominate cheap ones.
    for (let i = 0; i < 8; i++) await op();
    count += 8;
    now = performance.now();
  }
  return Math.round((count * 1000) / (now - start));
}

/**
 * Signing and verification throughput per algorithm, Gatehouse's code path next to raw
 * node:crypto for the same algorithm, key and signing input, in the same run. Does not print.
 *
 * @example
 * const rows = await benchVerify({ durationMs: 500 });
 * console.table(rows);
 */
export async function benchVerify(options: { durationMs: number }): Promise<VerifyBenchRow[]> {
  const { durationMs } = options;
  const rows: VerifyBenchRow[] = [];
  for (const alg of SUPPORTED_ALGORITHMS) {
    const key = makeBenchKey(alg);
    const now = Math.floor(Date.now() / 1000);
    const claims = { token_type: 'access', exp: now + 3600, iat: now, jti: randomBytes(16).toString('hex'), user_id: 1 };
    const ring = createKeyRing({ kid: 'bench', algorithm: alg, signKey: key.signing, verifyKey: key.signing, publicJwk: undefined });
    const tokenClaims = { ...claims, sub: '1', sid: 'bench' } as TokenClaims;
    const signJwt = (): string => signToken(ring, tokenClaims);
    const token = signJwt();
    const dot = token.lastIndexOf('.');
    const input = Buffer.from(token.slice(0, dot));
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    const publicKeyHolder: BenchKey = alg.startsWith('HS')
      ? key
      : { signing: (await import('node:crypto')).createPublicKey({ key: key.jwk as import('node:crypto').JsonWebKey, format: 'jwk' }), jwk: key.jwk };
    const signRaw = rawSigner(alg, key.signing);
    const verifyRaw = rawVerifier(alg, publicKeyHolder);
    const base = { jwks: { keys: [key.jwk] }, algorithms: [alg] };
    const uncached = createVerifier({ ...base, cache: false });
    const viaJose = createVerifier({ ...base, cache: false, engine: 'jose' });
    const cached = createVerifier(base);
    if (!verifyRaw(input, signature)) throw new Error(`raw verify failed for ${alg}`);
    const ops = {
      signOps: signJwt,
      rawSignOps: () => signRaw(input),
      verifyOps: () => uncached.verify(token),
      rawVerifyOps: () => verifyRaw(input, signature),
      joseVerifyOps: () => viaJose.verify(token),
      cachedVerifyOps: () => cached.verify(token),
    };
    // Interleave short slices of every measurement so background load hits them all alike.
    const totals = { signOps: 0, rawSignOps: 0, verifyOps: 0, rawVerifyOps: 0, joseVerifyOps: 0, cachedVerifyOps: 0 };
    const slices = 4;
    for (let slice = 0; slice < slices; slice++) {
      for (const name of Object.keys(ops) as Array<keyof typeof ops>) {
        totals[name] += (await opsPerSecond(durationMs / slices, ops[name])) / slices;
      }
    }
    rows.push({ algorithm: alg, ...Object.fromEntries(Object.entries(totals).map(([name, value]) => [name, Math.round(value)])) } as VerifyBenchRow);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const durationMs = Number(process.argv[2] ?? 300);
  const rows = await benchVerify({ durationMs });
  const pct = (a: number, b: number): string => `${Math.round((100 * a) / b)}%`;
  console.table(rows.map((row) => ({
    alg: row.algorithm,
    'sign ops/s': row.signOps,
    'raw sign': row.rawSignOps,
    'sign %': pct(row.signOps, row.rawSignOps),
    'verify ops/s': row.verifyOps,
    'raw verify': row.rawVerifyOps,
    'verify %': pct(row.verifyOps, row.rawVerifyOps),
    'jose engine': row.joseVerifyOps,
    'jose %': pct(row.joseVerifyOps, row.rawVerifyOps),
    cached: row.cachedVerifyOps,
  })));
}
