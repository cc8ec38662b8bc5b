import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/** A keep-alive socket idle this long while draining is closed; a busy client gets `Connection: close` instead. */
const IDLE_CLOSE_MS = 1000;
const POLL_MS = 50;

interface SocketState {
  /** `socket.bytesRead` at the last poll: a change means a request is arriving. */
  bytesRead: number;
  idleSince: number;
}

/** Tracks an HTTP server's sockets so it can be drained without cutting a request in half. */
export interface ConnectionDrainer {
  /**
   * Stops accepting, lets each connection finish its current request (responses from now on say
   * `Connection: close`), closes keep-alive sockets that stay idle, and resolves when no socket
   * is left, or destroys the rest at the deadline. Resolves `true` if nothing had to be cut.
   */
  drain(timeoutMs: number): Promise<boolean>;
}

/** True while a response is pending on the socket (node:http's own test, as in closeIdleConnections). */
function hasPendingResponse(socket: Socket): boolean {
  return (socket as Socket & { _httpMessage?: unknown })._httpMessage != null;
}

/** Ends each keep-alive connection after the response it is getting now. */
function closeAfterResponse(_request: IncomingMessage, response: ServerResponse): void {
  response.setHeader('connection', 'close');
}

/**
 * Wraps a not-yet-listening server. `http.Server.close()` would drop idle keep-alive sockets at
 * once, racing a client that is about to send on one; we stop only the listener and let each
 * connection end cleanly after its next response. Nothing runs per request until the drain
 * starts: activity is read off the sockets when polling.
 *
 * @example
 * const drainer = trackConnections(app.server);
 * await drainer.drain(30_000);
 */
export function trackConnections(server: Server): ConnectionDrainer {
  const sockets = new Map<Socket, SocketState>();
  let draining = false;

  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { bytesRead: 0, idleSince: Date.now() });
    socket.once('close', () => sockets.delete(socket));
  });

  return {
    drain(timeoutMs) {
      if (!draining) {
        draining = true;
        // Ahead of the app's listener, so the header is set before any response is written.
        server.prependListener('request', closeAfterResponse);
        // net's close, not http's: stop the listener (in a cluster, the primary stops routing to us).
        if (server.listening) NetServer.prototype.close.call(server);
        // How long a socket sat idle before now is unknown: each gets the full idle time from here.
        const now = Date.now();
        for (const [socket, state] of sockets) {
          state.bytesRead = socket.bytesRead;
          state.idleSince = now;
        }
      }
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve) => {
        const poll = (): void => {
          const now = Date.now();
          for (const [socket, state] of sockets) {
            if (hasPendingResponse(socket) || socket.bytesRead !== state.bytesRead) {
              state.bytesRead = socket.bytesRead;
              state.idleSince = now;
            } else if (now - state.idleSince >= IDLE_CLOSE_MS) {
              socket.destroy();
            }
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
