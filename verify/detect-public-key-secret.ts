import { createPublicKey } from 'node:crypto';

function parsesAsDerPublicKey(bytes: Buffer): boolean {
  // Every DER public key starts with a SEQUENCE tag; skip the parse attempt for anything else.
  if (bytes.length < 16 || bytes[0] !== 0x30) return false;
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      createPublicKey({ key: bytes, format: 'der', type });
      return true;
    } catch {
      // not this encoding
    }
  }
  return false;
}

function looksLikeJwkText(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return false;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null && ('kty' in value || 'keys' in value);
  } catch {
    return /"kty"\s*:/.test(trimmed);
  }
}

/**
 * True when an HMAC "secret" is really key material: PEM (any label, with or without a trailing
 * newline), JWK or JWKS JSON text, DER SubjectPublicKeyInfo or PKCS#1, raw or base64-encoded.
 * Using a public key as an HMAC secret is the classic algorithm-confusion attack: anyone holding
 * the public key could mint tokens.
 */
export function secretLooksLikeKeyMaterial(secret: string | Uint8Array): boolean {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  const text = typeof secret === 'string' ? secret : bytes.toString('latin1');
  if (/-----BEGIN/i.test(text)) return true;
  if (looksLikeJwkText(text)) return true;
  if (parsesAsDerPublicKey(bytes)) return true;
  if (typeof secret === 'string' && parsesAsDerPublicKey(Buffer.from(secret, 'latin1'))) return true;
  const compact = text.replace(/\s+/g, '');
  if (compact.startsWith('M') && /^[A-Za-z0-9+/_-]+=*$/.test(compact)) {
    // base64 of DER: a leading SEQUENCE tag (0x30) always encodes as 'M'
    if (parsesAsDerPublicKey(Buffer.from(compact, 'base64'))) return true;
  }
  return false;
}
