import { decodeStrictUtf8 } from './decode-utf8.js';

// Value of each base64url character; -1 for anything else (padding, '+', '/', whitespace, '?').
const VALUE = new Int8Array(128).fill(-1);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

const BASE64URL_ALPHABET_ONLY = /^[A-Za-z0-9_-]*$/;

/** True when `text` is canonical unpadded base64url (RFC 7515 §2, RFC 4648 §3.5: zero unused bits). */
export function isCanonicalBase64url(text: string): boolean {
  const length = text.length;
  // The regex runs natively: a character loop here was the verifier's single largest cost.
  if (length % 4 === 1 || !BASE64URL_ALPHABET_ONLY.test(text)) return false;
  const last = VALUE[text.charCodeAt(length - 1)] ?? 0;
  // A decoder that ignores non-zero unused bits would let two encodings name the same bytes.
  if (length % 4 === 2) return (last & 0x0f) === 0;
  if (length % 4 === 3) return (last & 0x03) === 0;
  return true;
}

/** Decodes canonical unpadded base64url, or returns `undefined` for anything else. */
export function decodeBase64url(text: string): Buffer | undefined {
  return isCanonicalBase64url(text) ? Buffer.from(text, 'base64url') : undefined;
}

// Segments are decoded through one reused buffer: decoding is synchronous, so never two at once,
// and a fresh Buffer per token plus its TextDecoder call cost ~0.15 µs of an HS256 check.
const SCRATCH_BYTES = 6144;
const SCRATCH_CHARS = (SCRATCH_BYTES / 3) * 4; // 8192: every segment of a default-sized token
const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

/**
 * Decodes canonical unpadded base64url whose bytes are UTF-8 text, or returns `undefined` when
 * the segment is not canonical base64url or its bytes are not UTF-8 (the caller tells which
 * with {@link isCanonicalBase64url}, on that rare path only).
 */
export function decodeBase64urlUtf8(segment: string): string | undefined {
  if (segment.length > SCRATCH_CHARS) {
    const bytes = decodeBase64url(segment);
    return bytes === undefined ? undefined : decodeStrictUtf8(bytes);
  }
  const length = scratch.write(segment, 0, 'base64url');
  // Only canonical text re-encodes to itself: node's decoder takes '+/' and skips padding,
  // whitespace and stray characters, and ignores unused bits; its encoder writes none of those.
  if (scratch.toString('base64url', 0, length) !== segment) return undefined;
  const text = scratch.toString('utf8', 0, length);
  // Node's UTF-8 decoder replaces every ill-formed sequence with U+FFFD and drops nothing, so
  // text without one came from UTF-8; text with one takes the strict decoder.
  return text.includes('\uFFFD') ? decodeStrictUtf8(scratch.subarray(0, length)) : text;
}
