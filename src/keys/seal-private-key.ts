import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { GatehouseError } from '../errors.js';

/** Written now: AES-256-GCM with the key's `kid` and algorithm as additional authenticated data. */
const SEALED = 'sealed:v2:';
/** Written by Gatehouse 0.1 (no additional data): still opened, never written. */
const SEALED_UNBOUND = 'sealed:v1:';

/** What a sealed key is bound to: opening it under another `kid` or algorithm fails. */
export interface SealBinding {
  readonly kid: string;
  readonly algorithm: string;
}

function keyFrom(keyEncryptionKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', keyEncryptionKey, 'gatehouse', 'signing key at rest', 32));
}

function additionalData(binding: SealBinding): Buffer {
  return Buffer.from(JSON.stringify(['gatehouse signing key', binding.kid, binding.algorithm]), 'utf8');
}

/**
 * Encrypts private key text with AES-256-GCM under a key derived from
 * GATEHOUSE_KEY_ENCRYPTION_KEY, bound to the key's `kid` and algorithm; without an encryption
 * key the text is stored as it is.
 *
 * @example
 * const stored = sealPrivateKey(JSON.stringify(jwk), config.keyEncryptionKey, { kid, algorithm: 'ES256' });
 */
export function sealPrivateKey(plaintext: string, keyEncryptionKey: string | undefined, binding: SealBinding): string {
  if (keyEncryptionKey === undefined) return plaintext;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(keyEncryptionKey), iv);
  cipher.setAAD(additionalData(binding));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return SEALED + [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url')).join('.');
}

/**
 * Reverses {@link sealPrivateKey} for the key stored as `binding`. With an encryption key set,
 * a key stored in the clear is refused: whoever can write the database could otherwise plant a
 * signing key. Throws `config_invalid` naming GATEHOUSE_KEY_ENCRYPTION_KEY, never key material.
 */
export function openPrivateKey(stored: string, keyEncryptionKey: string | undefined, binding: SealBinding): string {
  const bound = stored.startsWith(SEALED);
  if (!bound && !stored.startsWith(SEALED_UNBOUND)) {
    if (keyEncryptionKey === undefined) return stored;
    throw new GatehouseError(
      'config_invalid',
      `Stored signing key ${binding.kid} is not encrypted although GATEHOUSE_KEY_ENCRYPTION_KEY is set: refused (a key written to the database in the clear could be anyone's)`,
    );
  }
  if (keyEncryptionKey === undefined) {
    throw new GatehouseError('config_invalid', 'Stored signing keys are encrypted: set GATEHOUSE_KEY_ENCRYPTION_KEY');
  }
  const [iv = '', tag = '', body = ''] = stored.slice(SEALED.length).split('.');
  try {
    // A full 16-byte tag only: GCM would otherwise accept a truncated one (as short as 4 bytes).
    const decipher = createDecipheriv('aes-256-gcm', keyFrom(keyEncryptionKey), Buffer.from(iv, 'base64url'), { authTagLength: 16 });
    if (bound) decipher.setAAD(additionalData(binding));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new GatehouseError('config_invalid', `GATEHOUSE_KEY_ENCRYPTION_KEY does not open stored signing key ${binding.kid} (wrong encryption key, or the key was moved to another kid or algorithm)`, { cause });
  }
}
