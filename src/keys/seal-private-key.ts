import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { GatehouseError } from '../errors.js';

const PREFIX = 'sealed:v1:';

function keyFrom(keyEncryptionKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', keyEncryptionKey, 'gatehouse', 'signing key at rest', 32));
}

/** Encrypts private key text with AES-256-GCM under a key derived from GATEHOUSE_KEY_ENCRYPTION_KEY. */
export function sealPrivateKey(plaintext: string, keyEncryptionKey: string | undefined): string {
  if (keyEncryptionKey === undefined) return plaintext;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(keyEncryptionKey), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return PREFIX + [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url')).join('.');
}

/** Reverses {@link sealPrivateKey}; plain stored keys pass through unchanged. */
export function openPrivateKey(stored: string, keyEncryptionKey: string | undefined): string {
  if (!stored.startsWith(PREFIX)) return stored;
  if (keyEncryptionKey === undefined) {
    throw new GatehouseError('config_invalid', 'Stored signing keys are encrypted: set GATEHOUSE_KEY_ENCRYPTION_KEY');
  }
  const [iv = '', tag = '', body = ''] = stored.slice(PREFIX.length).split('.');
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFrom(keyEncryptionKey), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new GatehouseError('config_invalid', 'GATEHOUSE_KEY_ENCRYPTION_KEY does not open the stored signing keys', { cause });
  }
}
