/**
 * Where the refresh token lives between page loads. The access token is always kept in memory only.
 * Methods may be sync or async (e.g. a wrapper around a mobile secure store).
 *
 * @example
 * const secureStore: TokenStorage = {
 *   load: () => SecureStore.getItemAsync('refresh'),
 *   save: (token) => (token === null ? SecureStore.deleteItemAsync('refresh') : SecureStore.setItemAsync('refresh', token)),
 * };
 * const client = createClient({ baseUrl: 'https://auth.example.com', storage: secureStore });
 */
export interface TokenStorage {
  load(): string | null | Promise<string | null>;
  save(refreshToken: string | null): void | Promise<void>;
}

/**
 * Keeps nothing: the session lasts as long as the page (or process). The default.
 *
 * @example
 * const client = createClient({ storage: memoryStorage() }); // same as storage: 'memory'
 */
export function memoryStorage(): TokenStorage {
  return { load: () => null, save: () => undefined };
}

/**
 * `window.localStorage`, as the simplejwt tutorials do. Survives reloads, but any script running
 * on the page (an XSS hole, a compromised dependency) can read the token and keep the session.
 *
 * @example
 * const client = createClient({ storage: localStorageStorage('myapp.refresh') });
 */
export function localStorageStorage(key = 'gatehouse.refresh'): TokenStorage {
  // Looked up on each call so the SDK can be imported where localStorage does not exist (Node, SSR).
  const store = (): Storage | undefined => (globalThis as { localStorage?: Storage }).localStorage;
  return {
    load: () => store()?.getItem(key) ?? null,
    save: (token) => {
      const target = store();
      if (target === undefined) return;
      if (token === null) target.removeItem(key);
      else target.setItem(key, token);
    },
  };
}
