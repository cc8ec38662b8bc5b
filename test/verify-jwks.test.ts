import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createVerifier, type VerifierOptions } from '../verify/create-verifier.js';
import { accessClaims, craft, makeKey } from './support/verify-tokens.js';

const first = makeKey('ES256', 'es-1');
const second = makeKey('ES256', 'es-2');
let served: { status: number; body: string } = { status: 200, body: '' };
const hits = new Map<string, number>();
let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    res.writeHead(served.status, { 'content-type': 'application/json' }).end(served.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function serve(keys: unknown[], status = 200): void {
  served = { status, body: JSON.stringify({ keys }) };
}

function setup(path: string, extra: Partial<VerifierOptions> = {}): { verify: (token: string) => Promise<unknown>; clock: { now: number }; fetches: () => number } {
  const clock = { now: 1_700_000_000 };
  const verifier = createVerifier({
    jwksUri: `${base}${path}`, algorithms: ['ES256'], clock: () => clock.now,
    jwksCacheSeconds: 300, jwksCooldownSeconds: 30, cache: false, ...extra,
  });
  return { verify: (token) => verifier.verify(token), clock, fetches: () => hits.get(path) ?? 0 };
}

const tokenFor = (key: typeof first, now = 1_700_000_000): string =>
  craft(key, `{"alg":"ES256","kid":"${String(key.jwk.kid)}"}`, JSON.stringify(accessClaims(now)));

test('fetches the key set once and serves later tokens from the cache until it ages out', async () => {
  serve([first.jwk]);
  const { verify, clock, fetches } = setup('/cache');
  assert.equal(fetches(), 0, 'nothing is fetched at creation');
  for (let i = 0; i < 3; i++) await verify(tokenFor(first));
  assert.equal(fetches(), 1);
  clock.now += 301;
  await verify(tokenFor(first, clock.now));
  assert.equal(fetches(), 2);
});

test('refetches on an unknown kid at most once per cooldown', async () => {
  serve([first.jwk]);
  const { verify, clock, fetches } = setup('/rotate');
  await verify(tokenFor(first));
  serve([first.jwk, second.jwk]);
  clock.now += 31;
  await verify(tokenFor(second, clock.now)); // unknown kid, cooldown passed: one refetch finds it
  assert.equal(fetches(), 2);
  const stranger = makeKey('ES256', 'es-unknown');
  for (let i = 0; i < 5; i++) {
    await assert.rejects(verify(tokenFor(stranger, clock.now)), { code: 'unknown_kid' });
  }
  assert.equal(fetches(), 2, 'no refetch inside the cooldown');
  clock.now += 30;
  await assert.rejects(verify(tokenFor(stranger, clock.now)), { code: 'unknown_kid' });
  assert.equal(fetches(), 3);
});

test('concurrent unknown kids share one fetch', async () => {
  serve([first.jwk]);
  const { verify, clock, fetches } = setup('/burst');
  await verify(tokenFor(first));
  serve([first.jwk, second.jwk]);
  clock.now += 31;
  await Promise.all(Array.from({ length: 10 }, () => verify(tokenFor(second, clock.now))));
  assert.equal(fetches(), 2);
});

test('an unreachable or broken key set is jwks_unavailable, asked at most once per cooldown', async () => {
  serve([first.jwk], 500);
  const { verify, clock, fetches } = setup('/down');
  await assert.rejects(verify(tokenFor(first)), { code: 'jwks_unavailable' });
  await assert.rejects(verify(tokenFor(first)), { code: 'jwks_unavailable' });
  assert.equal(fetches(), 1);
  served = { status: 200, body: '{"keys":[{"kty":"oct","k":"c2hvcnQ","alg":"HS256"}]}' }; // refused: not ES256, too short
  clock.now += 30;
  await assert.rejects(verify(tokenFor(first, clock.now)), { code: 'jwks_unavailable' });
  serve([first.jwk]);
  clock.now += 30;
  await verify(tokenFor(first, clock.now));
  assert.equal(fetches(), 3);
});

test('keeps the last good key set when a refresh fails', async () => {
  serve([first.jwk]);
  const { verify, clock, fetches } = setup('/flaky');
  await verify(tokenFor(first));
  serve([], 503);
  clock.now += 301;
  await verify(tokenFor(first, clock.now));
  assert.equal(fetches(), 2);
});

test('never fetches a URL named inside a token', async () => {
  serve([first.jwk]);
  const { verify } = setup('/configured');
  for (const name of ['jku', 'x5u']) {
    const token = craft(second, `{"alg":"ES256","kid":"es-2","${name}":"${base}/attacker"}`, JSON.stringify(accessClaims(1_700_000_000)));
    await assert.rejects(verify(token), { code: 'header_not_allowed' });
  }
  assert.equal(hits.get('/attacker') ?? 0, 0);
});

test('refuses a non-https jwksUri at creation, except on loopback', () => {
  assert.throws(() => createVerifier({ jwksUri: 'http://auth.example/jwks', algorithms: ['ES256'] }), { code: 'options_invalid' });
  assert.throws(() => createVerifier({ jwksUri: 'not a url', algorithms: ['ES256'] }), { code: 'options_invalid' });
  assert.ok(createVerifier({ jwksUri: 'https://auth.example/jwks', algorithms: ['ES256'] }));
});
