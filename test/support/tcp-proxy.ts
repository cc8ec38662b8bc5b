import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * How {@link TcpProxy.cut} breaks the path to the target:
 * - `refuse`: the target is down (the host answers, nothing listens). Every open connection is
 *   reset at once, and every new one is reset as soon as it is accepted, so a client fails
 *   immediately (`ECONNRESET` or "connection terminated"), as fast as a refused connect.
 * - `blackhole`: a network partition. Open connections stay open but nothing crosses them any
 *   more (bytes are read and dropped both ways); new connections are accepted and never
 *   forwarded. A client only finds out through its own timeouts.
 */
export type CutMode = 'refuse' | 'blackhole';

/** A loopback TCP proxy in front of one target, which a test can cut and restore. */
export interface TcpProxy {
  /** The port the proxy listens on, on 127.0.0.1. */
  readonly port: number;
  /** `'open'` while forwarding, else the mode of the last {@link cut}. */
  readonly state: 'open' | CutMode;
  /** Client connections the proxy holds now (forwarded, frozen or not yet closed). */
  readonly openConnections: number;
  /** Breaks the path to the target (see {@link CutMode}). Cutting again switches the mode. */
  cut(mode: CutMode): void;
  /**
   * Forwards again. Connections frozen by a blackhole are destroyed first: bytes were dropped on
   * them, so their protocol streams are broken, and a real partition that heals after the peers
   * timed out leaves them just as dead.
   */
  restore(): void;
  /** Destroys every connection and stops listening. Safe to call twice. */
  close(): Promise<void>;
}

/** One accepted client and, when forwarded, its connection to the target. */
interface Link {
  readonly client: Socket;
  upstream: Socket | undefined;
  /** Set by a blackhole: data from either side is read and dropped. */
  frozen: boolean;
}

function destroyLink(link: Link): void {
  link.client.destroy();
  link.upstream?.destroy();
}

/** Copies `from` to `to` unless the link is frozen, pausing `from` while `to` is backed up. */
function forward(link: Link, from: Socket, to: Socket): void {
  from.on('data', (chunk: Buffer) => {
    if (link.frozen) return;
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => {
    if (!link.frozen) to.end();
  });
}

/**
 * Starts a proxy on 127.0.0.1 (a free port) that forwards every connection to `target`.
 *
 * @example
 * const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
 * // point the app at postgres://…@127.0.0.1:${proxy.port}/db, then:
 * proxy.cut('blackhole'); // queries hang until the app's own timeouts
 * proxy.restore();
 * await proxy.close();
 */
export async function startTcpProxy(target: { readonly host: string; readonly port: number }): Promise<TcpProxy> {
  const links = new Set<Link>();
  let state: TcpProxy['state'] = 'open';

  const server: Server = createServer((client) => {
    const link: Link = { client, upstream: undefined, frozen: false };
    links.add(link);
    client.on('close', () => {
      links.delete(link);
      link.upstream?.destroy();
    });
    client.on('error', () => destroyLink(link));
    if (state === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (state === 'blackhole') {
      link.frozen = true;
      client.resume(); // read and drop, so the client's writes never block
      return;
    }
    const upstream = createConnection({ host: target.host, port: target.port });
    link.upstream = upstream;
    upstream.on('error', () => destroyLink(link));
    upstream.on('close', () => {
      if (!link.frozen) client.destroy();
    });
    forward(link, client, upstream);
    forward(link, upstream, client);
  });
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('startTcpProxy: no listening address');

  let closed: Promise<void> | undefined;
  return {
    port: address.port,
    get state() {
      return state;
    },
    get openConnections() {
      return links.size;
    },
    cut(mode) {
      state = mode;
      for (const link of links) {
        if (mode === 'refuse') {
          link.client.resetAndDestroy();
          link.upstream?.resetAndDestroy();
        } else {
          link.frozen = true;
          // Keep reading so neither side's writes back up; what arrives is dropped.
          link.client.resume();
          link.upstream?.resume();
        }
      }
    },
    restore() {
      for (const link of links) if (link.frozen) destroyLink(link);
      state = 'open';
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const link of links) destroyLink(link);
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
