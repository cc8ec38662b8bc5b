import { VerifiedTokenCache as ClaimSetCache } from '../../verify/verified-token-cache.js';
import type { TokenClaims } from './claims.js';

/**
 * gatehouse/verify's cache of verified tokens, holding Gatehouse's claims: the hot path skips the
 * signature check for a token it has seen, until the token expires. Revocation is not cached:
 * callers still check the session.
 */
export class VerifiedTokenCache extends ClaimSetCache<TokenClaims> {
  constructor(maxEntries = 10_000) {
    super(maxEntries);
  }
}
