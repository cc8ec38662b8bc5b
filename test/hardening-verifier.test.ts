// Time claims PyJWT (under simplejwt) refuses and tokens that live too long: refused by the
// resource-server verifier and by Gatehouse itself, with stable codes.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { isGatehouseError } from '../src/errors.js';
import { buildClaims, type TokenClaims } from '../src/tokens/claims.js';
import { asymmetricRingKey } from '../src/tokens/key-material.js';
import { createKeyRing } from '../src/tokens/key-ring.js';
import { signToken } from '../src/tokens/sign-token.js';
import { VerifiedTokenCache } from '../src/tokens/verified-token-cache.js';
import { verifyToken } from '../src/tokens/verify-token.js';
import { failureForError } from '../verify/bearer-failure.js';
import { createVerifier, type VerifierOptions } from '../verify/create-verifier.js';
import { expressBearerAuth } from '../verify/express.js';
import { fastifyBearerAuth } from '../verify/fastify.js';
import { honoBearerAuth } from '../verify/hono.js';
import { craft, makeKey } from './support/verify-tokens.js';
import { decodeJwt, startTestApp } from './support/test-app.js';

const NOW = 1_700_000_000; // frozen clock, epoch seconds
const DAY = 86_400;
const key = makeKey('ES256', 'key-1');

function tokenWith(claims: Record<string, unknown>): string {
  return craft(key, '{"alg":"ES256","kid":"key-1","typ":"JWT"}', JSON.stringify({ token_type: 'access', jti: 'j', user_id: 1, ...claims }));
}

function verifier(extra: Partial<VerifierOptions> = {}) {
  return createVerifier({ jwks: { keys: [key.jwk] }, algorithms: ['ES256'], clock: () => NOW, ...extra });
}

describe('verifier: iat in the future', () => {
  it('refuses an iat later than now + leeway with token_not_yet_valid, as PyJWT does', async () => {
    await assert.rejects(verifier({ cache: false }).verify(tokenWith({ iat: NOW + 10, exp: NOW + 300 })), { code: 'token_not_yet_valid' });
    await assert.rejects(verifier({ leeway: 5 }).verify(tokenWith({ iat: NOW + 6, exp: NOW + 300 })), { code: 'token_not_yet_valid' });
    assert.equal((await verifier({ leeway: 10 }).verify(tokenWith({ iat: NOW + 10, exp: NOW + 300 }))).iat, NOW + 10);
    assert.equal((await verifier().verify(tokenWith({ iat: NOW, exp: NOW + 300 }))).iat, NOW);
  });

  it('answers the middleware 401 token_not_valid, as for any other bad token', async () => {
    const error = await verifier().verify(tokenWith({ iat: NOW + 60, exp: NOW + 300 })).catch((caught: unknown) => caught);
    const failure = failureForError(error);
    assert.equal(failure.status, 401);
    assert.equal(failure.body.code, 'token_not_valid');
  });
});

describe('verifier: maxTokenAge', () => {
  it('defaults to one day: a simplejwt refresh token (24 h) passes, a longer lifetime does not', async () => {
    const refresh = verifier({ tokenType: 'refresh' });
    assert.equal((await refresh.verify(tokenWith({ token_type: 'refresh', iat: NOW, exp: NOW + DAY }))).exp, NOW + DAY);
    await assert.rejects(refresh.verify(tokenWith({ token_type: 'refresh', iat: NOW, exp: NOW + DAY + 1 })), { code: 'token_lifetime_too_long' });
  });

  it('refuses exp − iat over the limit even when exp − now is under it (an old, long-lived token)', async () => {
    await assert.rejects(verifier().verify(tokenWith({ iat: NOW - 2 * DAY, exp: NOW + 60 })), { code: 'token_lifetime_too_long' });
  });

  it('refuses exp − now over the limit (beyond leeway) when there is no iat', async () => {
    await assert.rejects(verifier().verify(tokenWith({ exp: NOW + DAY + 1 })), { code: 'token_lifetime_too_long' });
    assert.equal((await verifier({ leeway: 5 }).verify(tokenWith({ exp: NOW + DAY + 5 }))).exp, NOW + DAY + 5);
    await assert.rejects(verifier({ leeway: 5 }).verify(tokenWith({ exp: NOW + DAY + 6 })), { code: 'token_lifetime_too_long' });
  });

  it('takes a custom limit, checked on cache hits too', async () => {
    const short = verifier({ maxTokenAge: 300 });
    assert.ok(await short.verify(tokenWith({ iat: NOW, exp: NOW + 300 })));
    await assert.rejects(short.verify(tokenWith({ iat: NOW, exp: NOW + 301 })), { code: 'token_lifetime_too_long' });
    const week = verifier({ maxTokenAge: 7 * DAY, tokenType: 'refresh' });
    assert.ok(await week.verify(tokenWith({ token_type: 'refresh', iat: NOW, exp: NOW + 7 * DAY })));
  });

  it('refuses bad values when the verifier or middleware is created', () => {
    const base = { jwks: { keys: [key.jwk] }, algorithms: ['ES256'] };
    for (const maxTokenAge of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '300']) {
      const options = { ...base, maxTokenAge } as unknown as VerifierOptions;
      assert.throws(() => createVerifier(options), { code: 'options_invalid' }, String(maxTokenAge));
      assert.throws(() => expressBearerAuth(options), { code: 'options_invalid' });
      assert.throws(() => fastifyBearerAuth(options), { code: 'options_invalid' });
      assert.throws(() => honoBearerAuth(options), { code: 'options_invalid' });
    }
  });
});

describe('server: iat in the future', () => {
  const ring = createKeyRing(asymmetricRingKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, 'ES256', 'test'));
  const claims = (iat: number): TokenClaims => ({ ...buildClaims({ type: 'access', userId: 7, familyId: 'f', jti: 'j'.repeat(32), now: NOW, lifetimeSeconds: 300 }), iat });

  it('refuses an iat later than now + leeway with token_not_valid', async () => {
    const token = signToken(ring, claims(NOW + 10));
    await assert.rejects(verifyToken(token, { ring, type: 'access', now: NOW, leeway: 0 }), (error: unknown) => isGatehouseError(error) && error.code === 'token_not_valid');
    await assert.rejects(verifyToken(token, { ring, type: 'access', now: NOW, leeway: 9 }), (error: unknown) => isGatehouseError(error) && error.code === 'token_not_valid');
    assert.equal((await verifyToken(token, { ring, type: 'access', now: NOW, leeway: 10 })).iat, NOW + 10);
    // Not remembered by the verified-token cache either.
    const cache = new VerifiedTokenCache();
    await assert.rejects(verifyToken(token, { ring, type: 'access', now: NOW, leeway: 0, cache }));
    await assert.rejects(verifyToken(token, { ring, type: 'access', now: NOW, leeway: 0, cache }));
  });

  it('refuses, over HTTP, a token of its own keys whose iat is in the future', async () => {
    const t = await startTestApp('sqlite');
    try {
      assert.equal((await t.request('POST', '/api/users/', { username: 'ivy', password: 'password-123' })).statusCode, 201);
      const { access } = await t.login('ivy', 'password-123');
      const real = decodeJwt(access).payload as unknown as TokenClaims;
      const future = signToken(t.runtime.sessions.keys(), { ...real, iat: real.iat + 120 });
      const verify = await t.request('POST', '/api/token/verify/', { token: future });
      assert.equal(verify.statusCode, 401);
      assert.equal(verify.json().code, 'token_not_valid');
      const me = await t.request('GET', '/api/me/', undefined, { authorization: `Bearer ${future}` });
      assert.equal(me.statusCode, 401);
      assert.equal(me.json().code, 'token_not_valid');
      assert.equal((await t.request('GET', '/api/me/', undefined, { authorization: `Bearer ${access}` })).statusCode, 200);
    } finally {
      await t.close();
    }
  });
});
