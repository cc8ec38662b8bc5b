import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { jwtVerify } from 'jose';
import { ALGORITHMS } from '../src/config/schema.js';
import { generatePrivateKey } from '../src/tokens/key-material.js';
import { createVerifier } from '../verify/index.js';
import { describe, it } from 'node:test';
import { isGatehouseError } from '../src/errors.js';
import { buildClaims, type TokenClaims } from '../src/tokens/claims.js';
import { asymmetricRingKey, hmacRingKey } from '../src/tokens/key-material.js';
import { createKeyRing } from '../src/tokens/key-ring.js';
import { signToken } from '../src/tokens/sign-token.js';
import { VerifiedTokenCache } from '../src/tokens/verified-token-cache.js';
import { MAX_TOKEN_LENGTH, verifyToken, type VerifyOptions } from '../src/tokens/verify-token.js';

const NOW = 1_900_000_000; // frozen clock, epoch seconds
const ring = createKeyRing(asymmetricRingKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, 'ES256', 'test'));
const base = { type: 'access' as const, userId: 7, familyId: 'family', jti: 'a'.repeat(32), now: NOW, lifetimeSeconds: 300 };
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function options(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return { ring, type: 'access', now: NOW + 1, leeway: 0, ...overrides };
}

async function refused(token: string, verifyOptions: VerifyOptions = options()): Promise<void> {
  await assert.rejects(verifyToken(token, verifyOptions), (error: unknown) => {
    assert.ok(isGatehouseError(error));
    assert.equal(error.code, 'token_not_valid');
    assert.ok(!error.message.includes(token.slice(0, 20)), 'the message never quotes the token');
    return true;
  });
}

describe('tokens', () => {
  it('round-trips simplejwt claims plus sub and sid', async () => {
    const claims: TokenClaims = await verifyToken(signToken(ring, buildClaims(base)), options());
    assert.equal(claims.token_type, 'access');
    assert.equal(claims.user_id, 7);
    assert.equal(claims.sub, '7');
    assert.equal(claims.sid, 'family');
    assert.equal(claims.exp, NOW + 300);
  });

  it('refuses expired tokens, honouring the leeway', async () => {
    const token = signToken(ring, buildClaims(base));
    await refused(token, options({ now: NOW + 305 }));
    assert.equal((await verifyToken(token, options({ now: NOW + 305, leeway: 10 }))).jti, base.jti);
  });

  it('refuses the wrong token type', async () => {
    await refused(signToken(ring, buildClaims({ ...base, type: 'refresh' })));
  });

  it('refuses a header alg that differs from the key\'s, alg none, and an unknown kid', async () => {
    const token = signToken(ring, buildClaims(base));
    const [, payload, signature] = token.split('.');
    const kid = ring.signing.kid;
    await refused(`${b64({ alg: 'ES384', typ: 'JWT', kid })}.${payload}.${signature}`);
    await refused(`${b64({ alg: 'HS256', typ: 'JWT', kid })}.${payload}.${signature}`);
    await refused(`${b64({ alg: 'none', typ: 'JWT', kid })}.${payload}.`);
    await refused(`${b64({ alg: 'NONE', typ: 'JWT', kid })}.${payload}.${signature}`);
    await refused(`${b64({ alg: 'ES256', typ: 'JWT', kid: `${kid} ` })}.${payload}.${signature}`);
    await refused(`${b64({ alg: 'ES256', typ: 'JWT', kid, jku: 'https://evil.example/jwks' })}.${payload}.${signature}`);
  });

  it('refuses an asymmetric public key used as an HMAC secret', async () => {
    const publicJwkText = JSON.stringify(ring.signing.publicJwk);
    const forged = hmacRingKey(publicJwkText, 'HS256');
    const token = signToken(createKeyRing({ ...forged, kid: ring.signing.kid }), buildClaims(base));
    await refused(token);
  });

  it('refuses oversized and non-compact tokens before decoding', async () => {
    await refused('a'.repeat(MAX_TOKEN_LENGTH + 1));
    const token = signToken(ring, buildClaims(base));
    await refused(`${token}=`);
    await refused(token.replace('.', '.+'));
    await refused(`${token}.extra`);
  });

  it('checks iss and aud when configured', async () => {
    const token = signToken(ring, buildClaims({ ...base, issuer: 'https://a.test', audience: 'api' }));
    assert.equal((await verifyToken(token, options({ issuer: 'https://a.test', audience: 'api' }))).iss, 'https://a.test');
    await refused(token, options({ issuer: 'https://b.test', audience: 'api' }));
    await refused(token, options({ issuer: 'https://a.test', audience: 'other' }));
  });

  it('caches verified tokens only until they expire', async () => {
    const cache = new VerifiedTokenCache(2);
    const token = signToken(ring, buildClaims(base));
    await verifyToken(token, options({ cache }));
    assert.equal(cache.size, 1);
    assert.ok(cache.get(token, NOW + 299, 0));
    assert.equal(cache.get(token, NOW + 300, 0), undefined, 'expired entries are not served');
    await refused(token, options({ cache, now: NOW + 301 }));
    for (let i = 0; i < 3; i++) cache.set(`t${i}`, buildClaims({ ...base, jti: String(i) }));
    assert.equal(cache.size, 2, 'bounded');
  });

  it('keeps a token in use when full, evicting one not used since it was added', () => {
    const cache = new VerifiedTokenCache(2);
    const claims = (jti: string) => buildClaims({ ...base, jti });
    cache.set('h.p.a', claims('a'));
    cache.set('h.p.b', claims('b'));
    assert.ok(cache.get('h.p.a', NOW, 0), 'a is used');
    cache.set('h.p.c', claims('c'));
    assert.equal(cache.size, 2);
    assert.equal(cache.get('h.p.b', NOW, 0), undefined, 'b, never used, went');
    assert.equal(cache.get('h.p.a', NOW, 0)?.jti, 'a');
    assert.equal(cache.get('h.p.c', NOW, 0)?.jti, 'c');
    // Both used: each loses its mark once, then the one passed over first (a) goes; never the new one.
    cache.set('h.p.d', claims('d'));
    assert.equal(cache.size, 2);
    assert.equal(cache.get('h.p.a', NOW, 0), undefined);
    assert.equal(cache.get('h.p.c', NOW, 0)?.jti, 'c');
    assert.equal(cache.get('h.p.d', NOW, 0)?.jti, 'd');
  });

  it('serves a cached entry only for the exact same token, not one that shares its signature', async () => {
    const cache = new VerifiedTokenCache();
    const token = signToken(ring, buildClaims(base));
    await verifyToken(token, options({ cache }));
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64({ ...buildClaims(base), user_id: 1 })}.${signature}`;
    assert.equal(cache.get(forged, NOW + 1, 0), undefined);
    await refused(forged, options({ cache }));
    assert.equal((await verifyToken(token, options({ cache }))).user_id, 7, 'the real token is still served');
  });

  it('encodes claims exactly, short or long, ASCII or not', async () => {
    for (const name of ['plain', 'grüße, 東京 😀', 'é'.repeat(1500)]) {
      const claims = { ...buildClaims(base), name } as TokenClaims;
      const token = signToken(ring, claims);
      assert.deepEqual(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')), claims);
      assert.equal((await verifyToken(token, options())).jti, base.jti);
    }
  });

  it('signs every algorithm so that jose and gatehouse/verify accept the token', async () => {
    for (const algorithm of ALGORITHMS) {
      const key = algorithm.startsWith('HS')
        ? hmacRingKey(randomBytes(64).toString('hex'), algorithm)
        : asymmetricRingKey(generatePrivateKey(algorithm), algorithm, 'test');
      const token = signToken(createKeyRing(key), buildClaims({ ...base, now: Math.floor(Date.now() / 1000) }));
      const { payload, protectedHeader } = await jwtVerify(token, key.verifyKey, { algorithms: [algorithm] });
      assert.equal(protectedHeader.kid, key.kid, algorithm);
      assert.equal(payload.user_id, 7);
      const verifier = key.publicJwk
        ? createVerifier({ jwks: { keys: [key.publicJwk as JsonWebKey] }, algorithms: [algorithm] })
        : createVerifier({ secret: key.verifyKey as Uint8Array, algorithms: [algorithm] });
      assert.equal((await verifier.verify(token)).user_id, 7, algorithm);
    }
  });
});
