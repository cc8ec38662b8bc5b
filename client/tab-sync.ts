/** What one tab tells the others after it changed the session. */
export type TabMessage =
  | { readonly type: 'tokens'; readonly generation: string; readonly access: string; readonly refresh: string | null; readonly cookie: boolean }
  | { readonly type: 'logout'; readonly generation: string };

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

function lockManager(): LockManagerLike | undefined {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks;
}

function markerStore(): Storage | undefined {
  try {
    return (globalThis as { localStorage?: Storage }).localStorage;
  } catch {
    return undefined; // Some browsers throw on access when storage is disabled.
  }
}

/**
 * Whether to coordinate tabs by default: in a browser page. Web Locks exist only in secure
 * contexts; on plain http the BroadcastChannel alone still shares tokens between tabs.
 */
export function isBrowserPage(): boolean {
  return typeof (globalThis as { document?: unknown }).document === 'object' && typeof BroadcastChannel === 'function';
}

/**
 * Serialises refreshes across tabs of one origin and shares the result.
 *
 * With rotation, a refresh token works once: two tabs refreshing with the same token would look
 * like a stolen token being replayed and the server would revoke the session. So a refresh runs
 * under a Web Lock, the new tokens are posted on a BroadcastChannel, and a non-secret generation
 * marker in localStorage lets the next lock holder notice it has not yet received them.
 */
export class TabSync {
  readonly #name: string;
  readonly #channel: BroadcastChannel | undefined;
  readonly #waiters = new Map<string, Array<() => void>>();

  constructor(name: string, onMessage: (message: TabMessage) => void) {
    this.#name = name;
    if (typeof BroadcastChannel === 'function') {
      const channel = new BroadcastChannel(name);
      channel.onmessage = (event: MessageEvent<TabMessage>) => {
        onMessage(event.data);
        const waiting = this.#waiters.get(event.data.generation);
        this.#waiters.delete(event.data.generation);
        for (const wake of waiting ?? []) wake();
      };
      // Node's BroadcastChannel would otherwise keep a process alive.
      (channel as { unref?: () => void }).unref?.();
      this.#channel = channel;
    }
  }

  /** Runs `task` while holding the cross-tab refresh lock (or directly, without Web Locks). */
  withLock<T>(task: () => Promise<T>): Promise<T> {
    const locks = lockManager();
    return locks === undefined ? task() : locks.request(`${this.#name}:refresh`, task);
  }

  publish(message: TabMessage): void {
    try {
      markerStore()?.setItem(`${this.#name}:generation`, message.generation);
    } catch {
      // A full or disabled storage only weakens the race protection; broadcasting still works.
    }
    this.#channel?.postMessage(message);
  }

  /** The generation id of the last session change any tab announced, if known. */
  marker(): string | undefined {
    try {
      return markerStore()?.getItem(`${this.#name}:generation`) ?? undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * When another tab changed the session after `known`, waits (bounded) until its message has
   * arrived, so the caller decides on current tokens.
   */
  async catchUp(known: string | undefined, timeoutMs = 1500): Promise<void> {
    const latest = this.marker();
    if (latest === undefined || latest === known || this.#channel === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      const list = this.#waiters.get(latest) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.#waiters.set(latest, list);
    });
  }

  close(): void {
    this.#channel?.close();
  }
}
