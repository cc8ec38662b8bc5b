import assert from 'node:assert/strict';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { SUPPORTED_ALGORITHMS, type JwsAlgorithm } from '../verify/algorithms.js';
import { bindJwks } from '../verify/bind-keys.js';
import { signatureHasValidShape } from '../verify/check-signature.js';
import { createVerifier, type VerifierOptions } from '../verify/create-verifier.js';
import { parseStrictJsonObject } from '../verify/parse-strict-json.js';
import { accessClaims, craft, makeKey, signInput, type TestKey } from './support/verify-tokens.js';

const NOW = 1_700_000_000;
const clock = (): number => NOW;
const hs = makeKey('HS256', 'key-1');
const rsa = makeKey('RS256', 'rsa-1');
const ec = makeKey('ES256', 'ec-1');
const ed = makeKey('EdDSA', 'ed-1');
const claims = JSON.stringify(accessClaims(NOW));

function verifierFor(key: TestKey, extra: Partial<VerifierOptions> = {}): ReturnType<typeof createVerifier> {
  return createVerifier({ jwks: { keys: [key.jwk] }, algorithms: [key.alg], clock, cache: false, ...extra });
}

const header = (key: TestKey, extra = ''): string => `{"alg":"${key.alg}","kid":"${String(key.jwk.kid)}"${extra}}`;

test('accepts a valid token for every supported algorithm, through both engines', async () => {
  for (const alg of SUPPORTED_ALGORITHMS) {
    const key = makeKey(alg);
    const token = await new SignJWT(accessClaims(NOW)).setProtectedHeader({ alg, kid: String(key.jwk.kid), typ: 'JWT' }).sign(key.signingKey);
    for (const engine of ['node', 'jose'] as const) {
      const result = await verifierFor(key, { engine }).verify(token);
      assert.equal(result.user_id, 1, `${alg} ${engine}`);
    }
  }
});

test('interoperates with an HS256 simplejwt access token (no kid, typ JWT)', async () => {
  const secret = 'a-django-secret-key-that-is-long-enough-for-hs256!!';
  const key: TestKey = { ...hs, signingKey: Buffer.from(secret) };
  const token = craft(key, '{"alg":"HS256","typ":"JWT"}', `{"token_type":"access","exp":${NOW + 300},"iat":${NOW},"jti":"0123456789abcdef0123456789abcdef","user_id":1}`);
  const result = await createVerifier({ secret, algorithms: ['HS256'], clock }).verify(token);
  assert.equal(result.jti, '0123456789abcdef0123456789abcdef');
  assert.ok(Object.isFrozen(result));
});

test('rejects alg "none" in any letter case', async () => {
  const verifier = verifierFor(hs);
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    const unsigned = `${Buffer.from(`{"alg":"${alg}","kid":"key-1"}`).toString('base64url')}.${Buffer.from(claims).toString('base64url')}.`;
    await assert.rejects(verifier.verify(unsigned), { code: 'alg_not_allowed' }, alg);
  }
  assert.throws(() => createVerifier({ secret: 'x'.repeat(32), algorithms: ['none'] }), { code: 'options_invalid' });
});

test('rejects algorithm confusion: an HS256 token MACed with the public key, in every encoding', async () => {
  for (const key of [rsa, ec, ed]) {
    const publicKey = key.publicKey as KeyObject;
    const encodings: Array<[string, string | Buffer]> = [
      ['spki pem', publicKey.export({ format: 'pem', type: 'spki' })],
      ['spki pem without newline', String(publicKey.export({ format: 'pem', type: 'spki' })).trimEnd()],
      ['spki der', publicKey.export({ format: 'der', type: 'spki' })],
      ['spki der base64', publicKey.export({ format: 'der', type: 'spki' }).toString('base64')],
      ['jwk text', JSON.stringify(publicKey.export({ format: 'jwk' }))],
    ];
    if (key === rsa) {
      encodings.push(['pkcs1 pem', publicKey.export({ format: 'pem', type: 'pkcs1' })]);
      encodings.push(['pkcs1 pem without newline', String(publicKey.export({ format: 'pem', type: 'pkcs1' })).trimEnd()]);
      encodings.push(['pkcs1 der', publicKey.export({ format: 'der', type: 'pkcs1' })]);
    }
    for (const [name, material] of encodings) {
      const secret = typeof material === 'string' ? material : new Uint8Array(material);
      // The verifier holding the real public key never runs HMAC: its key is bound to its own alg.
      const forged = craft({ ...hs, signingKey: Buffer.from(material) }, `{"alg":"HS256","kid":"${String(key.jwk.kid)}"}`, claims);
      await assert.rejects(verifierFor(key, { algorithms: [key.alg, 'HS256'] }).verify(forged), { code: 'alg_not_allowed' }, `${key.alg} ${name}`);
      // And that public key can never be configured as an HMAC secret.
      assert.throws(() => createVerifier({ secret, algorithms: ['HS256'] }), { code: 'key_invalid' }, `${key.alg} ${name}`);
      if (typeof material !== 'string') {
        assert.throws(() => createVerifier({ secret: material.toString('latin1'), algorithms: ['HS256'] }), { code: 'key_invalid' }, `${key.alg} ${name} latin1`);
      }
    }
  }
});

test('rejects RS, ES and EdDSA tokens when only an HMAC secret is configured', async () => {
  const verifier = createVerifier({ secret: 'k'.repeat(32), algorithms: ['HS256', 'RS256', 'ES256', 'EdDSA'], clock });
  for (const key of [rsa, ec, ed]) {
    await assert.rejects(verifier.verify(craft(key, `{"alg":"${key.alg}"}`, claims)), { code: 'alg_not_allowed' }, key.alg);
  }
});

test('rejects stripped and empty signatures', async () => {
  const token = craft(hs, header(hs), claims);
  const [h, p] = token.split('.');
  await assert.rejects(verifierFor(hs).verify(`${h}.${p}.`), { code: 'signature_invalid' });
  await assert.rejects(verifierFor(hs).verify(`${h}.${p}`), { code: 'token_malformed' });
  const esToken = craft(ec, header(ec), claims);
  await assert.rejects(verifierFor(ec).verify(`${esToken.slice(0, esToken.lastIndexOf('.'))}.`), { code: 'signature_invalid' });
});

test('rejects a kid that is not exactly a key id', async () => {
  const verifier = verifierFor(hs);
  for (const kid of ['KEY-1', 'key-1 ', ' key-1', 'key-', 'key-10', '']) {
    await assert.rejects(verifier.verify(craft(hs, `{"alg":"HS256","kid":"${kid}"}`, claims)), { code: 'unknown_kid' }, JSON.stringify(kid));
  }
  assert.equal((await verifier.verify(craft(hs, header(hs), claims))).user_id, 1);
  // With several keys, a token without kid names none of them.
  const two = createVerifier({ jwks: { keys: [hs.jwk, { ...makeKey('HS256').jwk, kid: 'key-2' }] }, algorithms: ['HS256'], clock });
  await assert.rejects(two.verify(craft(hs, '{"alg":"HS256"}', claims)), { code: 'unknown_kid' });
});

test('rejects jwk, jku, x5u and x5c headers even when the signature is valid', async () => {
  const embedded = JSON.stringify(ec.jwk);
  for (const extra of [`,"jwk":${embedded}`, ',"jku":"https://evil.example/jwks"', ',"x5u":"https://evil.example/cert"', ',"x5c":["MIIB"]']) {
    await assert.rejects(verifierFor(ec).verify(craft(ec, header(ec, extra), claims)), { code: 'header_not_allowed' }, extra.slice(0, 6));
  }
});

test('rejects an unknown crit header', async () => {
  await assert.rejects(verifierFor(hs).verify(craft(hs, header(hs, ',"crit":["exp"],"exp":1'), claims)), { code: 'crit_unsupported' });
  await assert.rejects(verifierFor(hs).verify(craft(hs, header(hs, ',"crit":[]'), claims)), { code: 'crit_unsupported' });
});

test('rejects b64: false', async () => {
  await assert.rejects(verifierFor(hs).verify(craft(hs, header(hs, ',"b64":false,"crit":["b64"]'), claims)), { code: 'header_not_allowed' });
  await assert.rejects(verifierFor(hs).verify(craft(hs, header(hs, ',"b64":false'), claims)), { code: 'header_not_allowed' });
});

test('rejects ECDSA signatures with r or s of 0 or >= n', async () => {
  const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
  const nPlus1 = Buffer.from(n);
  nPlus1[31] = (nPlus1[31] ?? 0) + 1;
  const input = craft(ec, header(ec), claims).split('.').slice(0, 2).join('.');
  const good = signInput('ES256', ec.signingKey, input);
  const [r, s] = [good.subarray(0, 32), good.subarray(32)];
  const zero = Buffer.alloc(32);
  const key = bindJwks({ keys: [ec.jwk] }, ['ES256']).find('ec-1');
  assert.ok(key);
  for (const [name, sig] of [['r=0', [zero, s]], ['s=0', [r, zero]], ['r=n', [n, s]], ['s=n', [r, n]], ['s=n+1', [r, nPlus1]], ['r=s=0', [zero, zero]]] as const) {
    const signature = Buffer.concat(sig);
    assert.equal(signatureHasValidShape(key, signature), false, name);
    await assert.rejects(verifierFor(ec).verify(`${input}.${signature.toString('base64url')}`), { code: 'signature_invalid' }, name);
  }
  assert.equal(signatureHasValidShape(key, good), true);
});

test('rejects non-canonical base64url: padding, +/, whitespace, stray characters, non-zero unused bits', async () => {
  const token = craft(hs, header(hs), claims);
  const [h = '', p = '', sig = ''] = token.split('.');
  const variants = [
    `${h}.${p}.${sig}=`,
    `${h}=.${p}.${sig}`,
    `${h}.${p.slice(0, 4)}+${p.slice(5)}.${sig}`,
    `${h}.${p.slice(0, 4)}/${p.slice(5)}.${sig}`,
    `${h}.${p} .${sig}`,
    `${h}.${p}.${sig.slice(0, 10)}\n${sig.slice(10)}`,
    `${h}.${p}.?${sig}`,
    `${h}.${p}.${sig.slice(0, 10)}*${sig.slice(10)}`,
    `${h}.${p}=.${sig}`,
    `${h}.${p.slice(0, 6)}\t${p.slice(6)}.${sig}`,
    // U+0141 has the low byte of 'A': a decoder that truncates code units would read it so.
    `${h}.${p.slice(0, 4)}\u0141${p.slice(5)}.${sig}`,
  ];
  // 32-byte MAC = 43 chars: the last char carries 2 unused bits; set one and the bytes stay the same.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(sig.at(-1) ?? 'A');
  const sloppy = `${sig.slice(0, -1)}${alphabet[last | 1] ?? ''}`;
  assert.deepEqual(Buffer.from(sloppy, 'base64url'), Buffer.from(sig, 'base64url'));
  variants.push(`${h}.${p}.${sloppy}`);
  for (const variant of variants) {
    await assert.rejects(verifierFor(hs).verify(variant), { code: 'token_malformed' }, JSON.stringify(variant.slice(-12)));
  }
});

test('rejects a non-canonical spelling of a valid RSA, ECDSA or EdDSA signature, through both engines', async () => {
  for (const key of [rsa, ec, ed]) {
    const token = craft(key, header(key), claims);
    const [h = '', p = '', sig = ''] = token.split('.');
    // Each spelling decodes (leniently) to the very bytes of the valid signature.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const padded = `${sig}${'='.repeat((4 - (sig.length % 4)) % 4)}`;
    const sloppy = sig.length % 4 === 0 ? undefined : `${sig.slice(0, -1)}${alphabet[alphabet.indexOf(sig.at(-1) ?? 'A') | 1] ?? ''}`;
    const variants = [padded, `${sig.slice(0, 10)}\n${sig.slice(10)}`, ...(sloppy === undefined ? [] : [sloppy])].filter((v) => v !== sig);
    assert.ok(variants.length >= 2, key.alg);
    for (const variant of variants) {
      assert.deepEqual(Buffer.from(variant, 'base64url'), Buffer.from(sig, 'base64url'), `${key.alg} ${JSON.stringify(variant.slice(-6))}`);
      for (const engine of ['node', 'jose'] as const) {
        await assert.rejects(verifierFor(key, { engine }).verify(`${h}.${p}.${variant}`), { code: 'token_malformed' }, `${key.alg} ${engine}`);
      }
    }
    assert.equal((await verifierFor(key).verify(token)).user_id, 1);
  }
});

test('rejects JWE and JSON serialization where compact JWS is expected', async () => {
  const token = craft(hs, header(hs), claims);
  const [h, p, s] = token.split('.');
  const jwe = `${Buffer.from('{"alg":"dir","enc":"A256GCM"}').toString('base64url')}..AAAAAAAAAAAAAAAA.${p}.AAAAAAAAAAAAAAAAAAAAAA`;
  await assert.rejects(verifierFor(hs).verify(jwe), { code: 'token_malformed' });
  await assert.rejects(verifierFor(hs).verify(JSON.stringify({ protected: h, payload: p, signature: s })), { code: 'token_malformed' });
  await assert.rejects(verifierFor(hs).verify(JSON.stringify({ payload: p, signatures: [{ protected: h, signature: s }] })), { code: 'token_malformed' });
});

test('rejects duplicate JSON member names in header and payload', async () => {
  await assert.rejects(verifierFor(hs).verify(craft(hs, '{"alg":"HS256","kid":"key-1","alg":"HS256"}', claims)), { code: 'token_malformed' });
  await assert.rejects(verifierFor(hs).verify(craft(hs, '{"alg":"HS256","kid":"key-1","\\u0061lg":"HS256"}', claims)), { code: 'token_malformed' });
  const duplicateExp = `{"token_type":"access","exp":${NOW - 10},"user_id":1,"exp":${NOW + 3600}}`;
  await assert.rejects(verifierFor(hs).verify(craft(hs, header(hs), duplicateExp)), { code: 'token_malformed' });
  const nested = `{"token_type":"access","exp":${NOW + 3600},"ctx":{"role":"user","role":"admin"}}`;
  await assert.rejects(verifierFor(hs).verify(craft(hs, header(hs), nested)), { code: 'token_malformed' });
  // Same names at different levels are fine.
  assert.equal((await verifierFor(hs).verify(craft(hs, header(hs), `{"token_type":"access","exp":${NOW + 60},"a":{"exp":1}}`))).exp, NOW + 60);
});

test('verify always answers with a promise: bad input rejects, never throws', async () => {
  const verifier = verifierFor(hs);
  for (const input of [undefined, null, 42, '', {}]) {
    const result = verifier.verify(input as unknown as string);
    assert.ok(result instanceof Promise);
    await assert.rejects(result, { code: 'token_missing' }, String(input));
  }
  const broken = createVerifier({ jwks: { keys: [hs.jwk] }, algorithms: ['HS256'], cache: false, clock: () => { throw new Error('clock failed'); } });
  const result = broken.verify(craft(hs, header(hs), claims));
  assert.ok(result instanceof Promise);
  await assert.rejects(result, /clock failed/);
});

test('rejects tokens over the size limit before any decoding', async () => {
  const token = craft(hs, header(hs), claims);
  await assert.rejects(verifierFor(hs, { maxTokenLength: token.length - 1 }).verify(token), { code: 'token_too_large' });
  assert.equal((await verifierFor(hs, { maxTokenLength: token.length }).verify(token)).user_id, 1);
  // Garbage that would be malformed is never looked at once it is too long.
  await assert.rejects(verifierFor(hs).verify('!'.repeat(8193)), { code: 'token_too_large' });
});

test('rejects missing or non-numeric exp', async () => {
  const verifier = verifierFor(hs);
  await assert.rejects(verifier.verify(craft(hs, header(hs), '{"token_type":"access","user_id":1}')), { code: 'claim_missing' });
  for (const exp of [`"${NOW + 60}"`, 'null', 'true', '[1]']) {
    await assert.rejects(verifier.verify(craft(hs, header(hs), `{"token_type":"access","exp":${exp}}`)), { code: 'claim_invalid' }, exp);
  }
});

test('rejects exp in the past (leeway counted, cache re-checked)', async () => {
  let now = NOW;
  const verifier = createVerifier({ jwks: { keys: [hs.jwk] }, algorithms: ['HS256'], clock: () => now, leeway: 5 });
  await assert.rejects(verifier.verify(craft(hs, header(hs), `{"token_type":"access","exp":${NOW - 5}}`)), { code: 'token_expired' });
  assert.equal((await verifier.verify(craft(hs, header(hs), `{"token_type":"access","exp":${NOW - 4}}`))).exp, NOW - 4);
  const token = craft(hs, header(hs), `{"token_type":"access","exp":${NOW + 10}}`);
  assert.equal((await verifier.verify(token)).exp, NOW + 10); // now cached
  now = NOW + 15;
  await assert.rejects(verifier.verify(token), { code: 'token_expired' });
});

test('the cache serves only the exact token it verified, not another that reuses its signature', async () => {
  const verifier = createVerifier({ jwks: { keys: [hs.jwk] }, algorithms: ['HS256'], clock });
  const token = craft(hs, header(hs), `{"token_type":"access","exp":${NOW + 60},"user_id":1}`);
  assert.equal((await verifier.verify(token)).user_id, 1); // now cached
  const [head, , signature] = token.split('.');
  const forged = `${head}.${Buffer.from(`{"token_type":"access","exp":${NOW + 60},"user_id":2}`).toString('base64url')}.${signature}`;
  await assert.rejects(verifier.verify(forged), { code: 'signature_invalid' });
  assert.equal((await verifier.verify(token)).user_id, 1);
});

test('rejects nbf in the future', async () => {
  await assert.rejects(verifierFor(hs).verify(craft(hs, header(hs), `{"token_type":"access","exp":${NOW + 60},"nbf":${NOW + 1}}`)), { code: 'token_not_yet_valid' });
  assert.ok(await verifierFor(hs).verify(craft(hs, header(hs), `{"token_type":"access","exp":${NOW + 60},"nbf":${NOW}}`)));
});

test('rejects a wrong iss and a wrong aud', async () => {
  const options = { issuer: 'https://auth.example', audience: ['api', 'admin'] };
  const token = (extra: string): string => craft(hs, header(hs), `{"token_type":"access","exp":${NOW + 60}${extra}}`);
  await assert.rejects(verifierFor(hs, options).verify(token(',"iss":"https://evil.example","aud":"api"')), { code: 'issuer_mismatch' });
  await assert.rejects(verifierFor(hs, options).verify(token(',"iss":"https://auth.example","aud":"web"')), { code: 'audience_mismatch' });
  await assert.rejects(verifierFor(hs, options).verify(token(',"iss":"https://auth.example","aud":["web","mobile"]')), { code: 'audience_mismatch' });
  await assert.rejects(verifierFor(hs, options).verify(token(',"aud":"api"')), { code: 'claim_missing' });
  assert.ok(await verifierFor(hs, options).verify(token(',"iss":"https://auth.example","aud":["web","admin"]')));
});

test('rejects a refresh token presented as an access token', async () => {
  const refresh = craft(hs, header(hs), JSON.stringify({ ...accessClaims(NOW), token_type: 'refresh' }));
  await assert.rejects(verifierFor(hs).verify(refresh), { code: 'wrong_token_type' });
  assert.equal((await verifierFor(hs, { tokenType: 'refresh' }).verify(refresh)).token_type, 'refresh');
});

test('refuses bad options and keys at creation', () => {
  const cases: Array<[Partial<VerifierOptions>, string]> = [
    [{ algorithms: ['HS256'] }, 'options_invalid'],
    [{ secret: 'x'.repeat(32), jwks: { keys: [] }, algorithms: ['HS256'] }, 'options_invalid'],
    [{ secret: 'x'.repeat(32), algorithms: [] }, 'options_invalid'],
    [{ secret: 'x'.repeat(31), algorithms: ['HS256'] }, 'key_invalid'],
    [{ secret: 'x'.repeat(64), algorithms: ['HS256', 'HS512'] }, 'key_invalid'],
    [{ jwksUri: 'http://auth.example/jwks.json', algorithms: ['ES256'] }, 'options_invalid'],
    [{ jwks: { keys: [rsa.jwk, { ...ec.jwk, kid: 'rsa-1' }] }, algorithms: ['RS256', 'ES256'] }, 'key_invalid'],
    [{ jwks: { keys: [{ ...rsa.jwk, alg: undefined }] }, algorithms: ['RS256', 'PS256'] }, 'key_invalid'],
    [{ jwks: { keys: [{ ...ec.jwk, d: 'AAAA' }] }, algorithms: ['ES256'] }, 'key_invalid'],
    [{ jwks: { keys: [{ ...ec.jwk, alg: 'ES384' }] }, algorithms: ['ES384'] }, 'key_invalid'],
  ];
  for (const [options, code] of cases) {
    assert.throws(() => createVerifier(options as VerifierOptions), { code }, JSON.stringify(Object.keys(options)));
  }
  const small = createPublicKey({ key: makeKey('RS256').jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  assert.equal(small.asymmetricKeyDetails?.modulusLength, 2048);
  const allowedAlgs: JwsAlgorithm[] = ['RS256'];
  assert.ok(bindJwks({ keys: [rsa.jwk] }, allowedAlgs));
});

test('the strict JSON parser refuses exactly the objects that repeat a member name, at any depth', () => {
  const cases: Array<[string, boolean]> = [
    ['{"a":1,"b":2}', true],
    ['{"a":1,"a":2}', false],
    ['{"a":1,"\\u0061":2}', false],
    ['{"__proto__":1,"__proto__":2}', false],
    ['{"a":"x\\",\\"a\\":1","b":[1,{"a":1}]}', true],
    ['{"a":[{"b":1,"b":2}]}', false],
    ['{"a":{"b":1},"c":{"b":1}}', true],
    ['{"a":"{\\"a\\":1}","b":"[,]"}', true],
    ['{}', true],
    // A value ending in an escaped backslash: the quote after it does close the string.
    ['{"a":"x\\\\","a":1}', false],
    ['{"a":"\\\\\\"","b":1}', true],
    // Commas inside strings or nested lists leave room for a repeat: the full scan decides.
    ['{"a":"x,y","a":1}', false],
    ['{"a":"x,y","b":1}', true],
    ['{"a":[1,2],"b":{"c":1}}', true],
    ['{"a":{"b":1,"b":2}}', false],
    ['{"a":{"b":{"c":1,"c":2}},"d":1}', false],
    ['{"a":1,"b":{"c":1}}', true],
  ];
  for (const [text, accepted] of cases) {
    assert.equal(parseStrictJsonObject(Buffer.from(text)) !== undefined, accepted, text);
  }
  // Random flat and nested objects, with and without a repeated top-level name.
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'exp', '__proto__', 'a\\"'), fc.jsonValue()), { maxLength: 6 }), (members) => {
      const text = `{${members.map(([name, value]) => `"${name}":${JSON.stringify(value)}`).join(',')}}`;
      const names = members.map(([name]) => name);
      // JSON.stringify never writes a repeated name, so only the top level can repeat one.
      const expected = new Set(names).size === names.length;
      assert.equal(parseStrictJsonObject(Buffer.from(text)) !== undefined, expected, text);
    }),
  );
});

