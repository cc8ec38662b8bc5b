import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeBase64urlUtf8, isCanonicalBase64url } from '../verify/decode-base64url.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The plain definition: canonical base64url whose bytes decode as strict UTF-8. */
function reference(segment: string): string | undefined {
  if (!isCanonicalBase64url(segment)) return undefined;
  try {
    return strictUtf8.decode(Buffer.from(segment, 'base64url'));
  } catch {
    return undefined;
  }
}

const encode = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

test('decodes canonical base64url UTF-8 text, keeping a BOM and a real U+FFFD', () => {
  assert.equal(decodeBase64urlUtf8(encode(Buffer.from('{"sub":"1"}'))), '{"sub":"1"}');
  assert.equal(decodeBase64urlUtf8(encode(Buffer.from('\uFEFF{}'))), '\uFEFF{}');
  assert.equal(decodeBase64urlUtf8(encode(Buffer.from('a\uFFFDb'))), 'a\uFFFDb');
  assert.equal(decodeBase64urlUtf8(encode(Buffer.from('naïve ✓ 😀'))), 'naïve ✓ 😀');
  assert.equal(decodeBase64urlUtf8(''), '');
});

test('refuses bytes that are not UTF-8: lone continuation, overlong, surrogate, past U+10FFFF, truncated', () => {
  for (const bytes of [[0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x7b, 0xff, 0x7d]]) {
    assert.equal(decodeBase64urlUtf8(encode(Buffer.from(bytes))), undefined, JSON.stringify(bytes));
  }
});

test('refuses every non-canonical spelling, including characters node decodes by their low byte', () => {
  const good = encode(Buffer.from('{"token_type":"access"}'));
  const variants = [
    `${good}=`,
    `${good.slice(0, 4)}+${good.slice(5)}`,
    `${good.slice(0, 4)}/${good.slice(5)}`,
    ` ${good}`,
    `${good.slice(0, 8)}\n${good.slice(8)}`,
    `${good.slice(0, 8)}?${good.slice(8)}`,
    // U+0141 and U+0161 have the low bytes of 'A' and 'a': node's decoder would read them so.
    `${good.slice(0, 4)}\u0141${good.slice(5)}`,
    `\u0161${good.slice(1)}`,
    `${good}${'A'.repeat((5 - (good.length % 4)) % 4)}`, // length % 4 === 1: no byte count fits
  ];
  // Non-zero unused bits in the last character name the same bytes.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const twoBytes = encode(Buffer.from('{}'));
  variants.push(`${twoBytes.slice(0, -1)}${alphabet[alphabet.indexOf(twoBytes.at(-1) ?? 'A') | 1] ?? ''}`);
  assert.deepEqual(Buffer.from(variants.at(-1) ?? '', 'base64url'), Buffer.from('{}'));
  for (const variant of variants) assert.equal(decodeBase64urlUtf8(variant), undefined, JSON.stringify(variant));
});

test('agrees with the plain definition on random bytes, random text and segments past the reused buffer', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    const segment = encode(bytes);
    assert.equal(decodeBase64urlUtf8(segment), reference(segment));
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (text) => {
    const segment = encode(Buffer.from(text));
    assert.equal(decodeBase64urlUtf8(segment), text);
  }), { numRuns: 1000 });
  // Arbitrary strings: almost all are not canonical; each answer must still match.
  fc.assert(fc.property(fc.string({ maxLength: 40 }), (segment) => {
    assert.equal(decodeBase64urlUtf8(segment), reference(segment));
  }), { numRuns: 2000 });
  // 8192 characters fit the reused buffer, longer ones take a fresh one: both sides of the edge.
  for (const bytes of [6143, 6144, 6145, 9000]) {
    const text = 'é'.repeat(Math.floor(bytes / 2)) + (bytes % 2 === 1 ? 'x' : '');
    const segment = encode(Buffer.from(text));
    assert.equal(decodeBase64urlUtf8(segment), text, `${bytes} bytes`);
    assert.equal(decodeBase64urlUtf8(`${segment.slice(0, 100)}+${segment.slice(101)}`), undefined, `${bytes} bytes, non-canonical`);
  }
});
