import assert from 'node:assert/strict';
import { createHmac, createSecretKey, randomBytes, randomInt } from 'node:crypto';
import { test } from 'node:test';
import { hmacBase64url, type HmacHash } from '../verify/hmac.js';

const HASHES: readonly HmacHash[] = ['sha256', 'sha384', 'sha512'];
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';

function asciiInput(length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += ALPHABET[randomInt(ALPHABET.length)];
  return text;
}

function reference(hash: HmacHash, key: Uint8Array, input: string): string {
  return createHmac(hash, key).update(input, 'latin1').digest('base64url');
}

test('RFC 4231 test case 2 (HMAC-SHA-256, key "Jefe")', () => {
  const mac = hmacBase64url('sha256', Buffer.from('Jefe'));
  const expected = Buffer.from('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843', 'hex').toString('base64url');
  assert.equal(mac('what do ya want for nothing?'), expected);
});

test('equals createHmac for every hash, keys shorter than, equal to and longer than the block, any input length', () => {
  // Block sizes are 64 (SHA-256) and 128 bytes; inputs cross block and padding boundaries, and
  // the 16 KB pad buffer (past it, createHmac answers).
  const keyLengths = [1, 32, 48, 63, 64, 65, 127, 128, 129, 300];
  const inputLengths = [0, 1, 55, 56, 63, 64, 111, 112, 119, 120, 127, 128, 279, 8192, 16_384, 16_385, 20_000];
  for (const hash of HASHES) {
    for (const keyLength of keyLengths) {
      const secret = randomBytes(keyLength);
      const fromBytes = hmacBase64url(hash, secret);
      const fromKeyObject = hmacBase64url(hash, createSecretKey(secret));
      // Long inputs first, then short: bytes a longer input left in the pad buffer must not count.
      for (const length of [...inputLengths].reverse()) {
        const input = asciiInput(length);
        const expected = reference(hash, secret, input);
        assert.equal(fromBytes(input), expected, `${hash} key ${keyLength} input ${length}`);
        assert.equal(fromKeyObject(input), expected, `${hash} key ${keyLength} input ${length} (KeyObject)`);
      }
    }
  }
});

test('one key used with two hashes gets each hash', () => {
  const secret = randomBytes(64);
  const input = asciiInput(200);
  assert.equal(hmacBase64url('sha256', secret)(input), reference('sha256', secret, input));
  assert.equal(hmacBase64url('sha512', secret)(input), reference('sha512', secret, input));
  assert.equal(hmacBase64url('sha256', secret)(input), reference('sha256', secret, input));
});

test('random keys and inputs agree with createHmac', () => {
  for (let i = 0; i < 300; i++) {
    const hash = HASHES[i % HASHES.length] as HmacHash;
    const secret = randomBytes(randomInt(1, 200));
    const input = asciiInput(randomInt(0, 2000));
    assert.equal(hmacBase64url(hash, secret)(input), reference(hash, secret, input));
  }
});

test('with a length, MACs only that many leading characters, for any mix of lengths', () => {
  for (const hash of HASHES) {
    const secret = randomBytes(32);
    const mac = hmacBase64url(hash, secret);
    const text = asciiInput(20_000);
    // More distinct lengths than the per-key views it keeps, then the first ones again.
    const lengths = [...Array.from({ length: 70 }, (_, i) => 200 + i), 200, 0, 201, 16_384, 16_385, 19_999, 20_000];
    for (const length of lengths) {
      assert.equal(mac(text, length), reference(hash, secret, text.slice(0, length)), `${hash} length ${length}`);
    }
    assert.equal(mac(text.slice(0, 300)), reference(hash, secret, text.slice(0, 300)));
  }
});
