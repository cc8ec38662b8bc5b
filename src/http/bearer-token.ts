import { GatehouseError } from '../errors.js';

/** simplejwt's answer when no usable credentials came with the request. */
export function notAuthenticated(): GatehouseError {
  return new GatehouseError('not_authenticated', 'Authentication credentials were not provided.', {
    body: { detail: 'Authentication credentials were not provided.' },
  });
}

/**
 * The raw token from `Authorization: Bearer <token>`, split as simplejwt splits it: no header or
 * another scheme is "not provided"; a Bearer header without exactly one value is malformed.
 */
export function bearerToken(header: string | undefined): string {
  if (header === undefined) throw notAuthenticated();
  // The usual `Bearer <token>` with single spaces, without splitting (an array per request).
  if (header.startsWith('Bearer ') && header.length > 7 && header.indexOf(' ', 7) < 0) return header.slice(7);
  const parts = header.split(' ').filter((part) => part !== '');
  if (parts.length === 0 || parts[0] !== 'Bearer') throw notAuthenticated();
  if (parts.length !== 2) {
    throw new GatehouseError('bad_authorization_header', 'Authorization header must contain two space-delimited values');
  }
  return parts[1] as string;
}
