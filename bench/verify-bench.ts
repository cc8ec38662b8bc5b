import { constants, createHmac, createPublicKey, generateKeyPairSync, randomBytes, sign, timingSafeEqual, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TokenClaims } from '../src/tokens/claims.js';
import { createKeyRing } from '../src/tokens/key-ring.js';
import { signToken } from '../src/tokens/sign-token.js';
import { verifyTokenNow } from '../src/tokens/verify-token.js';
import { ALGORITHM_SPECS, isJwsAlgorithm, SUPPORTED_ALGORITHMS, type JwsAlgorithm } from '../verify/algorithms.js';
import { createVerifier } from '../verify/create-verifier.js';

/**
 * One row of {@link benchVerify}: operations per second (the median over the run's slices),
 * Gatehouse's path next to raw node:crypto, and the ratios of the two within each slice.
 */
export interface VerifyBenchRow {
  algorithm: string;
  /** Gatehouse's signing path (src/tokens/sign-token.ts). */
  signOps: number;
  /** createVerifier(...).verify with the token cache off (default `node` engine). */
  verifyOps: number;
  /** The server's own check (src/tokens/verify-token.ts, verifyTokenNow), no cache. */
  serverVerifyOps: number;
  /** node:crypto sign (or HMAC) of the same signing input with the same key. */
  rawSignOps: number;
  /** node:crypto verify (or HMAC + timingSafeEqual) of the same input and signature. */
  rawVerifyOps: number;
  /** The same verifier with `engine: 'jose'` (jose compactVerify after the same checks). */
  joseVerifyOps: number;
  /** The default verifier with its verified-token cache on, same token repeated. */
  cachedVerifyOps: number;
  /** Median over the slices of signOps / rawSignOps measured in the same slice. */
  signRatio: number;
  /** Median over the slices of verifyOps / rawVerifyOps measured in the same slice. */
  verifyRatio: number;
  /** Median over the slices of serverVerifyOps / rawVerifyOps measured in the same slice. */
  serverVerifyRatio: number;
}

const execFileAsync = promisify(execFile);

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
 * One algorithm's row of {@link benchVerify}, measured in this process. Does not print.
 *
 * @example const row = await benchAlgorithm('ES256', 800);
 */
export async function benchAlgorithm(alg: JwsAlgorithm, durationMs: number): Promise<VerifyBenchRow> {
  const key = makeBenchKey(alg);
  const now = Math.floor(Date.now() / 1000);
  const claims = { token_type: 'access', exp: now + 3600, iat: now, jti: randomBytes(16).toString('hex'), user_id: 1 };
  const ring = createKeyRing({
    kid: 'bench',
    algorithm: alg,
    signKey: key.signing,
    verifyKey: key.signing instanceof Uint8Array ? key.signing : createPublicKey(key.signing),
    publicJwk: undefined,
  });
  const tokenClaims = { ...claims, sub: '1', sid: 'bench' } as TokenClaims;
  const signJwt = (): string => signToken(ring, tokenClaims);
  const token = signJwt();
  const dot = token.lastIndexOf('.');
  const input = Buffer.from(token.slice(0, dot));
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  const publicKeyHolder: BenchKey = alg.startsWith('HS')
    ? key
    : { signing: createPublicKey({ key: key.jwk as JsonWebKey, format: 'jwk' }), jwk: key.jwk };
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
    serverVerifyOps: () => verifyTokenNow(token, { ring, type: 'access', now: Date.now() / 1000, leeway: 0 }),
    rawVerifyOps: () => verifyRaw(input, signature),
    joseVerifyOps: () => viaJose.verify(token),
    cachedVerifyOps: () => cached.verify(token),
  };
  // Interleave short slices of every measurement so background load hits them all alike, in
  // forward then reverse order: each one follows the others' garbage (jose's is the most) alike.
  const names = Object.keys(ops) as Array<keyof typeof ops>;
  // Warm every path up first (this process is new): the JIT optimizes Gatehouse's JavaScript
  // later than the few calls of the raw baselines, and a server measures warm.
  for (const name of names) await opsPerSecond(durationMs / 8, ops[name]);
  const slices = 16;
  const perSlice: Array<Record<keyof typeof ops, number>> = [];
  for (let slice = 0; slice < slices; slice++) {
    const measured = {} as Record<keyof typeof ops, number>;
    for (const name of slice % 2 === 0 ? names : [...names].reverse()) {
      measured[name] = await opsPerSecond(durationMs / slices, ops[name]);
    }
    perSlice.push(measured);
  }
  const medianOf = (pick: (slice: Record<keyof typeof ops, number>) => number): number => median(perSlice.map(pick));
  const row = Object.fromEntries(names.map((name) => [name, Math.round(medianOf((slice) => slice[name]))]));
  return {
    algorithm: alg,
    ...row,
    // Each ratio pairs the two measurements of one slice, taken moments apart: this machine's
    // speed drifts by tens of percent within seconds, far more than within one slice.
    signRatio: medianOf((slice) => slice.signOps / slice.rawSignOps),
    verifyRatio: medianOf((slice) => slice.verifyOps / slice.rawVerifyOps),
    serverVerifyRatio: medianOf((slice) => slice.serverVerifyOps / slice.rawVerifyOps),
  } as VerifyBenchRow;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Signing and verification throughput per algorithm, Gatehouse's code path next to raw
 * node:crypto for the same algorithm, key and signing input, in the same run. Each algorithm runs
 * in its own process, as in a server, which uses one: in a shared process every row after the
 * first would also carry the JIT state the earlier algorithms left behind. Does not print.
 *
 * @example
 * const rows = await benchVerify({ durationMs: 500 });
 * console.table(rows);
 */
export async function benchVerify(options: { durationMs: number }): Promise<VerifyBenchRow[]> {
  const rows: VerifyBenchRow[] = [];
  for (const alg of SUPPORTED_ALGORITHMS) {
    const { stdout } = await execFileAsync(process.execPath, [fileURLToPath(import.meta.url), '--one', alg, String(options.durationMs)]);
    rows.push(JSON.parse(stdout) as VerifyBenchRow);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === '--one') {
  const alg = process.argv[3];
  if (!isJwsAlgorithm(alg)) throw new Error('usage: verify-bench.js --one <alg> <durationMs>');
  process.stdout.write(JSON.stringify(await benchAlgorithm(alg, Number(process.argv[4]))));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const durationMs = Number(process.argv[2] ?? 300);
  const rows = await benchVerify({ durationMs });
  const pct = (a: number, b: number): string => `${Math.round((100 * a) / b)}%`;
  const ratio = (value: number): string => `${Math.round(100 * value)}%`;
  console.table(rows.map((row) => ({
    alg: row.algorithm,
    'sign ops/s': row.signOps,
    'raw sign': row.rawSignOps,
    'sign %': ratio(row.signRatio),
    'verify ops/s': row.verifyOps,
    'raw verify': row.rawVerifyOps,
    'verify %': ratio(row.verifyRatio),
    'server verify': row.serverVerifyOps,
    'server %': ratio(row.serverVerifyRatio),
    'jose engine': row.joseVerifyOps,
    'jose %': pct(row.joseVerifyOps, row.rawVerifyOps),
    cached: row.cachedVerifyOps,
  })));
}
