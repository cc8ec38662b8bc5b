/**
 * `gatehouse/client`: sign in, keep the session fresh and call APIs with the access token, in
 * browsers and Node 20+. No dependencies; talks to Gatehouse or any djangorestframework-simplejwt
 * server. See docs/client.md.
 *
 * @example
 * import { createClient, GatehouseClientError } from 'gatehouse/client';
 * const auth = createClient();
 * await auth.login('alice', 'correct horse battery staple');
 * const response = await auth.fetch('/api/me/');
 */
export { createClient } from './create-client.js';
export type {
  ClientEvents,
  ClientOptions,
  ClientPaths,
  GatehouseClient,
  GatehouseSession,
  GatehouseUser,
  LogoutReason,
  RefreshReason,
} from './create-client.js';
export { GatehouseClientError, isGatehouseClientError } from './errors.js';
export type { ClientErrorCode, FieldMessages } from './errors.js';
export { decodeTokenClaims } from './token-claims.js';
export type { TokenClaims } from './token-claims.js';
export { localStorageStorage, memoryStorage } from './token-storage.js';
export type { TokenStorage } from './token-storage.js';
