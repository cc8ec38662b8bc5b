import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/** A keep-alive socket idle this long while draining is closed; a busy client gets `Connection: close` instead. */
const IDLE_CLOSE_MS = 1000;
const POLL_MS = 50;

interface SocketState {
  active: number;
  idleSince: number;
}

/** Tracks an HTTP server's sockets so it can be drained without cutting a request in half. */
export interface ConnectionDrainer {
  /** True once {@link drain} was called: requests arriving from then on get `Connection: close`. */
  readonly draining: boolean;
  /**
   * Stops accepting, lets each connection finish its current request (the caller answers new
   * ones with `Connection: close`), closes keep-alive sockets that stay idle, and resolves when
   * no socket is left, or destroys the rest at the deadline. Resolves `true` if nothing had to
   * be cut.
   */
  drain(timeoutMs: number): Promise<boolean>;
}

/**
 * Wraps a not-yet-listening server. `http.Server.close()` would drop idle keep-alive sockets at
 * once, racing a client that is about to send on one; we stop only the listener and let each
 * connection end cleanly after its next response.
 *
 * @example
 * const drainer = trackConnections(app.server);
 * app.addHook('onRequest', (_q, reply, done) => { if (drainer.draining) reply.header('connection', 'close'); done(); });
 * await drainer.drain(30_000);
 */
export function trackConnections(server: Server): ConnectionDrainer {
  const sockets = new Map<Socket, SocketState>();
  let draining = false;

  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { active: 0, idleSince: Date.now() });
    socket.once('close', () => sockets.delete(socket));
  });
  // One shared listener rather than a closure per request.
  function responseClosed(this: ServerResponse): void {
    const state = sockets.get(this.req.socket);
    if (state === undefined) return;
    state.active -= 1;
    state.idleSince = Date.now();
  }
  server.on('request', (request, response) => {
    const state = sockets.get(request.socket);
    if (state === undefined) return;
    state.active += 1;
    response.on('close', responseClosed);
  });

  return {
    get draining() {
      return draining;
    },
    drain(timeoutMs) {
      draining = true;
      // net's close, not http's: stop the listener (in a cluster, the primary stops routing to us).
      if (server.listening) NetServer.prototype.close.call(server);
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve) => {
        const poll = (): void => {
          const now = Date.now();
          for (const [socket, state] of sockets) {
            if (state.active === 0 && now - state.idleSince >= IDLE_CLOSE_MS) socket.destroy();
          }
          if (sockets.size === 0) return resolve(true);
          if (now >= deadline) {
            for (const socket of sockets.keys()) socket.destroy();
            return resolve(false);
          }
          setTimeout(poll, POLL_MS);
        };
        poll();
      });
    },
  };
}
