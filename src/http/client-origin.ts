import proxyAddr from '@fastify/proxy-addr';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** Who sent a request and over which scheme, as the trusted-proxy rules see it. */
export interface ClientOrigin {
  /** The client's address: X-Forwarded-For is followed only through trusted proxies. */
  address(raw: IncomingMessage): string | undefined;
  /** `http` or `https`, or X-Forwarded-Proto's last value when the peer is a trusted proxy. */
  protocol(raw: IncomingMessage): string;
}

/**
 * The same rules as Fastify's `request.ip` and `request.protocol` under `trustProxy` with the same
 * list (Gunicorn's forwarded_allow_ips), for code that holds only the raw request.
 *
 * @example
 * const origin = clientOrigin(['127.0.0.1']);
 * origin.address(request.raw); // '203.0.113.7' when 127.0.0.1 forwarded it
 */
export function clientOrigin(trustedProxies: readonly string[]): ClientOrigin {
  const trusted = proxyAddr.compile([...trustedProxies]);
  return {
    address(raw) {
      // Without the header that is the peer's address whoever the peer is, read directly:
      // proxy-addr builds arrays per request to say the same.
      return raw.headers['x-forwarded-for'] === undefined ? raw.socket.remoteAddress : proxyAddr(raw, trusted);
    },
    protocol(raw) {
      const forwarded = raw.headers['x-forwarded-proto'];
      const peer = raw.socket.remoteAddress;
      if (typeof forwarded === 'string' && forwarded !== '' && peer !== undefined && trusted(peer, 0)) {
        return forwarded.slice(forwarded.lastIndexOf(',') + 1).trim();
      }
      return (raw.socket as Partial<TLSSocket>).encrypted === true ? 'https' : 'http';
    },
  };
}
