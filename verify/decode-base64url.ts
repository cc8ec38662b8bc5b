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
