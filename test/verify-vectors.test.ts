import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isJwsAlgorithm, type JwsAlgorithm } from '../verify/algorithms.js';
import { bindJwks, type KeySet } from '../verify/bind-keys.js';
import { signatureHasValidShape, verifyWithNodeCrypto, type SignatureEngine } from '../verify/check-signature.js';
import { createVerifier } from '../verify/create-verifier.js';
import { VerifyError } from '../verify/errors.js';
import { verifySignature } from '../verify/verify-signature.js';

const VECTORS = path.resolve(process.cwd(), '../shared/vectors');
const ENGINES: readonly SignatureEngine[] = ['node', 'jose'];

function load<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(VECTORS, name), 'utf8')) as T;
}

type Jwk = Record<string, unknown>;
interface JwsCase { tcId: number; comment: string; jws: string; result: 'valid' | 'invalid' }
interface JwsGroup { comment: string; private: Jwk; public?: Jwk; tests: JwsCase[] }
interface JwkGroup { comment: string; private: { keys: Jwk[] }; public?: { keys: Jwk[] }; tests: JwsCase[] }

// Known defects, handled exactly as ../shared/vectors/README.md says.
const WYCHEPROOF_OVERRIDES: ReadonlyMap<number, 'valid' | 'invalid'> = new Map([
  [367, 'valid'], [370, 'valid'], // byte-identical to valid tcId 357
  [372, 'invalid'], [373, 'invalid'], // literal '?' in base64url: a strict decoder rejects
  [346, 'invalid'], [347, 'invalid'], [350, 'invalid'], [351, 'invalid'], // key alg differs from token alg
]);

/** A key's pinned algorithm: its own `alg`, or the natural one for its type (refused anyway if `alg` is bad). */
function pinnedAlgorithms(keys: readonly Jwk[]): JwsAlgorithm[] {
  const algs = new Set<JwsAlgorithm>();
  for (const key of keys) {
    if (isJwsAlgorithm(key.alg)) algs.add(key.alg);
    else algs.add(key.kty === 'RSA' ? 'RS256' : key.kty === 'EC' ? 'ES256' : key.kty === 'OKP' ? 'EdDSA' : 'HS256');
  }
  return [...algs];
}

type Outcome = { accepted: true } | { accepted: false; code: string; stage: 'key' | 'token' };

async function runJws(jwks: { keys: Jwk[] }, token: string, engine: SignatureEngine, algorithms = pinnedAlgorithms(jwks.keys)): Promise<Outcome> {
  let keys: KeySet;
  try {
    keys = bindJwks(jwks, algorithms);
  } catch (error) {
    assert.ok(error instanceof VerifyError, `unexpected ${String(error)}`);
    return { accepted: false, code: error.code, stage: 'key' };
  }
  try {
    await verifySignature(token, keys, { algorithms, engine });
    return { accepted: true };
  } catch (error) {
    assert.ok(error instanceof VerifyError, `unexpected ${String(error)}`);
    return { accepted: false, code: error.code, stage: 'token' };
  }
}

const jwsFile = load<{ numberOfTests: number; testGroups: JwsGroup[] }>('wycheproof/json_web_signature_test.json');

for (const engine of ENGINES) {
  test(`wycheproof json_web_signature_test.json: every case, ${engine} engine`, async () => {
    const mismatches: string[] = [];
    let ran = 0;
    for (const group of jwsFile.testGroups) {
      const key = group.public ?? group.private;
      for (const testCase of group.tests) {
        ran++;
        const expected = WYCHEPROOF_OVERRIDES.get(testCase.tcId) ?? testCase.result;
        const outcome = await runJws({ keys: [key] }, testCase.jws, engine);
        if (outcome.accepted !== (expected === 'valid')) {
          mismatches.push(`tcId ${testCase.tcId} (${group.comment}/${testCase.comment}): expected ${expected}, got ${JSON.stringify(outcome)}`);
        }
      }
    }
    assert.equal(ran, jwsFile.numberOfTests);
    assert.deepEqual(mismatches, []);
  });
}

test('wycheproof JWS: rejections carry the code of the check that caught them', async () => {
  const byId = new Map(jwsFile.testGroups.flatMap((group) => group.tests.map((t) => [t.tcId, { group, t }] as const)));
  const expectCode = async (tcId: number, code: string): Promise<void> => {
    const entry = byId.get(tcId);
    assert.ok(entry);
    const outcome = await runJws({ keys: [entry.group.public ?? entry.group.private] }, entry.t.jws, 'node');
    assert.equal(outcome.accepted ? 'accepted' : outcome.code, code, `tcId ${tcId}`);
  };
  await expectCode(16, 'alg_not_allowed'); // alg none, missing signature
  await expectCode(342, 'alg_not_allowed'); // alg NONE
  await expectCode(31, 'alg_not_allowed'); // HS256 with the EC key's bytes
  await expectCode(32, 'header_not_allowed'); // embedded jwk
  await expectCode(17, 'token_malformed'); // JSON serialization
  await expectCode(8, 'unknown_kid');
  await expectCode(3, 'signature_invalid'); // missing signature
  await expectCode(386, 'signature_invalid'); // r = s = 0
  await expectCode(360, 'token_malformed'); // spaces in the MAC
  await expectCode(367, 'accepted'); // README: identical to tcId 357
  await expectCode(372, 'token_malformed'); // README: '?' is not base64url
  await expectCode(346, 'alg_not_allowed'); // README: PS256 key, PS384 token
  await expectCode(353, 'key_invalid'); // use: enc
  await expectCode(356, 'key_invalid'); // key_ops: encrypt
});

const jwkFile = load<{ numberOfTests: number; testGroups: JwkGroup[] }>('wycheproof/json_web_key_test.json');

for (const engine of ENGINES) {
  test(`wycheproof json_web_key_test.json: bad key sets refused at creation, good ones used, ${engine} engine`, async () => {
    const mismatches: string[] = [];
    let ran = 0;
    for (const group of jwkFile.testGroups) {
      const jwks = group.public ?? group.private;
      for (const testCase of group.tests) {
        ran++;
        const outcome = await runJws(jwks, testCase.jws, engine);
        const ok = testCase.result === 'valid'
          ? outcome.accepted
          // An invalid key set must be refused before any token is looked at; a bad token under a good set fails at the token.
          : !outcome.accepted && (outcome.stage === 'key') === (testCase.comment !== 'rejectsModifiedSignature');
        if (!ok) mismatches.push(`tcId ${testCase.tcId} (${group.comment}): expected ${testCase.result}, got ${JSON.stringify(outcome)}`);
      }
    }
    assert.equal(ran, jwkFile.numberOfTests);
    assert.deepEqual(mismatches, []);
  });
}

test('wycheproof JWK sets: createVerifier refuses every invalid set with key_invalid', () => {
  let refused = 0;
  for (const group of jwkFile.testGroups) {
    const jwks = group.public ?? group.private;
    if (group.tests.every((t) => t.result === 'valid' || t.comment === 'rejectsModifiedSignature')) {
      assert.doesNotThrow(() => createVerifier({ jwks, algorithms: pinnedAlgorithms(jwks.keys) }), group.comment);
      continue;
    }
    assert.throws(() => createVerifier({ jwks, algorithms: pinnedAlgorithms(jwks.keys) }), { code: 'key_invalid' }, group.comment);
    refused++;
  }
  assert.equal(refused, 20);
});

interface PrimitiveCase { tcId: number; msg: string; sig: string; result: 'valid' | 'invalid' | 'acceptable' }
interface PrimitiveGroup { publicKeyJwk?: Jwk; keyJwk?: Jwk; publicKey?: { uncompressed?: string }; tests: PrimitiveCase[] }

/** The group's JWK; a few ECDSA groups give only the uncompressed point (04 || x || y). */
function primitiveJwk(group: PrimitiveGroup): Jwk {
  const given = group.publicKeyJwk ?? group.keyJwk;
  if (given !== undefined) return { ...given };
  const point = Buffer.from(group.publicKey?.uncompressed ?? '', 'hex');
  assert.equal(point.length, 65);
  return { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') };
}

/**
 * Primitive files have arbitrary messages, so no compact JWS can carry them: they drive the
 * node engine's primitive (shape check + node:crypto) with the key imported by bindJwks, the
 * same code that checks token signatures. jose's path is covered by the JWS files above.
 */
function runPrimitive(file: string, alg: JwsAlgorithm, acceptable: ReadonlyMap<number, boolean>): void {
  const data = load<{ numberOfTests: number; testGroups: PrimitiveGroup[] }>(`wycheproof/${file}`);
  test(`wycheproof ${file}: every case through the ${alg} primitive`, () => {
    const mismatches: string[] = [];
    let ran = 0;
    for (const group of data.testGroups) {
      const jwk = primitiveJwk(group);
      delete jwk.kid;
      const key = bindJwks({ keys: [jwk] }, [alg]).find(undefined);
      assert.ok(key);
      for (const testCase of group.tests) {
        ran++;
        const signature = Buffer.from(testCase.sig, 'hex');
        const accepted = signatureHasValidShape(key, signature) && verifyWithNodeCrypto(key, Buffer.from(testCase.msg, 'hex'), signature);
        const expected = testCase.result === 'acceptable' ? acceptable.get(testCase.tcId) : testCase.result === 'valid';
        if (accepted !== expected) mismatches.push(`tcId ${testCase.tcId}: expected ${testCase.result}, accepted=${accepted}`);
      }
    }
    assert.equal(ran, data.numberOfTests);
    assert.deepEqual(mismatches, []);
  });
}

runPrimitive('ecdsa_secp256r1_sha256_p1363_test.json', 'ES256', new Map());
runPrimitive('ed25519_test.json', 'EdDSA', new Map());
// tcId 8 "Missing NULL in the ASN encoding" is acceptable; OpenSSL rejects it, which is the stricter choice.
runPrimitive('rsa_signature_2048_sha256_test.json', 'RS256', new Map([[8, false]]));
runPrimitive('rsa_pss_2048_sha256_mgf1_32_test.json', 'PS256', new Map());

interface RfcExample {
  name: string;
  token: string | Record<string, unknown>;
  key: Jwk | null;
  expected: 'valid' | 'invalid';
  protected_header: { alg?: string } | null;
  payload: string | null;
}
const rfc = load<{ examples: RfcExample[] }>('rfc_examples.json');
const RFC_EXP = 1300819380;
// Any well-formed key will do where the RFC gives none: those tokens must fail before a key is used.
const STAND_IN_KEY: Jwk = { kty: 'oct', k: Buffer.alloc(32, 7).toString('base64url') };

function rfcAlgorithms(example: RfcExample): JwsAlgorithm[] {
  const alg = example.protected_header?.alg;
  return isJwsAlgorithm(alg) ? [alg] : pinnedAlgorithms([example.key ?? STAND_IN_KEY]);
}

function rfcToken(example: RfcExample): string {
  // A JSON serialization arrives as its JSON text where a compact token is expected.
  return typeof example.token === 'string' ? example.token : JSON.stringify(example.token);
}

for (const engine of ENGINES) {
  test(`rfc_examples.json: every signature with the clock pinned, ${engine} engine`, async () => {
    assert.equal(rfc.examples.length, 18);
    const mismatches: string[] = [];
    for (const example of rfc.examples) {
      const outcome = await runJws({ keys: [example.key ?? STAND_IN_KEY] }, rfcToken(example), engine, rfcAlgorithms(example));
      if (outcome.accepted !== (example.expected === 'valid')) mismatches.push(`${example.name}: ${JSON.stringify(outcome)}`);
    }
    assert.deepEqual(mismatches, []);
  });
}

test('rfc_examples.json: full JWT validation accepts RFC JWTs only before exp, and never non-JWT payloads', async () => {
  let jwts = 0;
  for (const example of rfc.examples.filter((e) => e.expected === 'valid')) {
    const algorithms = rfcAlgorithms(example);
    const options = { jwks: { keys: [{ ...example.key, alg: algorithms[0] }] }, algorithms, tokenType: null, cache: false } as const;
    const token = rfcToken(example);
    const isJwt = example.payload?.includes(`"exp":${RFC_EXP}`) === true;
    if (isJwt) {
      jwts++;
      const pinned = createVerifier({ ...options, clock: () => RFC_EXP - 60 });
      assert.equal((await pinned.verify(token)).exp, RFC_EXP, example.name);
      await assert.rejects(createVerifier(options).verify(token), { code: 'token_expired' }, example.name);
    } else {
      await assert.rejects(createVerifier({ ...options, clock: () => RFC_EXP - 60 }).verify(token), { code: 'token_malformed' }, example.name);
    }
  }
  assert.equal(jwts, 3);
});
