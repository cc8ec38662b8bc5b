import type { JwsAlgorithm } from './algorithms.js';
import { bindJwks, type BoundKey, type KeySet } from './bind-keys.js';
import { VerifyError } from './errors.js';
import { parseStrictJsonObject } from './parse-strict-json.js';

const MAX_JWKS_BYTES = 256 * 1024;
const FETCH_TIMEOUT_MS = 5000;

export interface RemoteKeySetOptions {
  readonly uri: string;
  readonly algorithms: readonly JwsAlgorithm[];
  readonly cacheSeconds: number;
  readonly cooldownSeconds: number;
  readonly clock: () => number;
  readonly fetch: typeof fetch;
  /** Called when a fetch brings a different key set (the verified-token cache is dropped). */
  readonly onChange: () => void;
}

/**
 * A JWK Set fetched only from the configured URL (never from a URL a token names), cached for
 * `cacheSeconds`, refetched on an unknown `kid` at most once per `cooldownSeconds`. A failed
 * fetch keeps the last good set; with none, verification fails with `jwks_unavailable`.
 */
export class RemoteKeySet {
  readonly #options: RemoteKeySetOptions;
  #current: KeySet | undefined;
  #currentBody: string | undefined;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | undefined;

  constructor(options: RemoteKeySetOptions) {
    this.#options = options;
  }

  /** The current key set, refreshed first when older than the cache lifetime. */
  async keys(): Promise<KeySet> {
    const now = this.#options.clock();
    if (this.#current === undefined || now - this.#fetchedAt >= this.#options.cacheSeconds) {
      // With no set at all, a failing endpoint is still asked at most once per cooldown.
      if (this.#current !== undefined || now - this.#lastAttempt >= this.#options.cooldownSeconds) await this.#refresh();
    }
    if (this.#current === undefined) throw new VerifyError('jwks_unavailable', 'remote key set is unavailable');
    return this.#current;
  }

  /** Looks up a `kid` missing from the current set, refetching if the cooldown has passed. */
  async findAfterRefresh(kid: string | undefined): Promise<BoundKey | undefined> {
    // A fetch already under way (started by a concurrent request) is awaited, not repeated.
    if (this.#inflight !== undefined) await this.#inflight;
    else if (this.#options.clock() - this.#lastAttempt < this.#options.cooldownSeconds) return this.#current?.find(kid);
    else await this.#refresh();
    return this.#current?.find(kid);
  }

  #refresh(): Promise<void> {
    this.#inflight ??= this.#fetchOnce().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetchOnce(): Promise<void> {
    this.#lastAttempt = this.#options.clock();
    try {
      const response = await this.#options.fetch(this.#options.uri, {
        redirect: 'error',
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (!response.ok) return;
      const body = await response.text();
      if (body.length > MAX_JWKS_BYTES) return;
      if (body === this.#currentBody) {
        this.#fetchedAt = this.#options.clock();
        return;
      }
      const json = parseStrictJsonObject(Buffer.from(body, 'utf8'));
      if (json === undefined) return;
      const keys = bindJwks(json, this.#options.algorithms);
      const changed = this.#current !== undefined;
      this.#current = keys;
      this.#currentBody = body;
      this.#fetchedAt = this.#options.clock();
      if (changed) this.#options.onChange();
    } catch {
      // Network error, timeout or a refused key set: keep the last good set.
    }
  }
}
