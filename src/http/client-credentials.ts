import { createHash, timingSafeEqual } from 'node:crypto';
import { GatehouseError } from '../errors.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Checks HTTP Basic client credentials against `client_id:secret` pairs, in constant time (both
 * sides hashed to equal length first). Returns the client id.
 */
/** RFC 6749 2.3.1: client_id and secret are form-encoded inside Basic; undefined when malformed. */
function formDecoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

export function authenticateClient(header: string | undefined, clients: readonly string[]): string {
  const fail = () => new GatehouseError('authentication_failed', 'Client authentication failed.');
  if (header === undefined || !header.startsWith('Basic ')) throw fail();
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 1) throw fail();
  const id = formDecoded(decoded.slice(0, separator));
  const secret = formDecoded(decoded.slice(separator + 1));
  if (id === undefined || secret === undefined) throw fail();
  const presented = digest(secret);
  let matched = false;
  for (const entry of clients) {
    const at = entry.indexOf(':');
    const sameSecret = timingSafeEqual(presented, digest(entry.slice(at + 1)));
    matched = (entry.slice(0, at) === id && sameSecret) || matched;
  }
  if (!matched) throw fail();
  return id;
}
