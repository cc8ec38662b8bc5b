// The per-request log line is serialized by hand: it must read exactly as pino would have
// written it, escape whatever a client put in it, and see the client as Fastify's trusted-proxy
// rules do.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { pino } from 'pino';
import { clientOrigin } from '../src/http/client-origin.js';
import { RequestLog } from '../src/http/request-log.js';

interface Fields {
  reqId: string;
  method: string;
  path: string;
  route: string;
  status: number;
  durationMs: number;
  remoteAddress: string | undefined;
  protocol: string;
}

function bothLines(fields: Fields): { ours: string; pinos: string } {
  const ours: string[] = [];
  const pinos: string[] = [];
  new RequestLog({ write: (line) => ours.push(line) }, 4242, 'web-1').write(
    fields.reqId, fields.method, fields.path, fields.route, fields.status, fields.durationMs, fields.remoteAddress, fields.protocol,
  );
  const logger = pino({ level: 'info', base: { pid: 4242, hostname: 'web-1' } }, { write: (line: string) => pinos.push(line) });
  logger.info({ ...fields, durationMs: Math.round(fields.durationMs * 100) / 100 }, 'request');
  return { ours: ours[0] ?? '', pinos: pinos[0] ?? '' };
}

/** The line without its time, which the two wrote a moment apart. */
const withoutTime = (line: string): string => line.replace(/"time":\d+,/, '');

describe('request log line', () => {
  it('is the line pino writes for the same fields, key for key and in the same order', () => {
    const { ours, pinos } = bothLines({
      reqId: 'a1b2c3-1', method: 'GET', path: '/api/me/', route: '/api/me/', status: 200, durationMs: 0.41234, remoteAddress: '127.0.0.1', protocol: 'http',
    });
    assert.equal(withoutTime(ours), withoutTime(pinos));
    assert.ok(ours.endsWith('}\n'));
    assert.match(ours, /^\{"level":30,"time":\d+,"pid":4242,"hostname":"web-1","reqId":"a1b2c3-1",/);
  });

  it('escapes what a client controls and leaves out an unknown address, as pino does', () => {
    const { ours, pinos } = bothLines({
      reqId: 'a1b2c3-2', method: 'GET', path: '/api/"x"\\\n\u0001é😀\u2028', route: 'unmatched', status: 404, durationMs: 12, remoteAddress: undefined, protocol: 'ht"tp',
    });
    assert.equal(withoutTime(ours), withoutTime(pinos));
    const parsed = JSON.parse(ours) as Record<string, unknown>;
    assert.equal(parsed.path, '/api/"x"\\\n\u0001é😀\u2028');
    assert.equal(parsed.protocol, 'ht"tp');
    assert.ok(!('remoteAddress' in parsed));
    assert.equal(ours.split('\n').length, 2, 'one line, whatever the path held');
  });
});

describe('client origin', () => {
  /** Fastify's request.ip and request.protocol next to clientOrigin's, for one request. */
  async function compare(trusted: string[], remoteAddress: string, headers: Record<string, string>): Promise<void> {
    const origin = clientOrigin(trusted);
    const app = Fastify({ trustProxy: trusted });
    app.get('/', async (request) => ({
      fastify: [request.ip, request.protocol],
      ours: [origin.address(request.raw), origin.protocol(request.raw)],
    }));
    try {
      const body = (await app.inject({ method: 'GET', url: '/', remoteAddress, headers })).json<{ fastify: unknown; ours: unknown }>();
      assert.deepEqual(body.ours, body.fastify, `${remoteAddress} ${JSON.stringify(headers)} trusting ${trusted.join(',')}`);
    } finally {
      await app.close();
    }
  }

  it('agrees with Fastify\'s request.ip and request.protocol under the same trusted proxies', async () => {
    const forwarded = { 'x-forwarded-for': '198.51.100.1, 203.0.113.7', 'x-forwarded-proto': 'http, https' };
    for (const trusted of [[], ['127.0.0.1'], ['127.0.0.1', '203.0.113.0/24'], ['10.0.0.0/8']]) {
      await compare(trusted, '127.0.0.1', forwarded);
      await compare(trusted, '127.0.0.1', {});
      await compare(trusted, '10.1.2.3', { 'x-forwarded-for': '203.0.113.9' });
      await compare(trusted, '127.0.0.1', { 'x-forwarded-proto': ' https ' });
    }
  });

  it('believes X-Forwarded-* only from a trusted peer', () => {
    const origin = clientOrigin(['10.0.0.1']);
    const raw = (remoteAddress: string) =>
      ({ headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' }, socket: { remoteAddress } }) as unknown as Parameters<typeof origin.address>[0];
    assert.equal(origin.address(raw('10.0.0.1')), '203.0.113.7');
    assert.equal(origin.protocol(raw('10.0.0.1')), 'https');
    assert.equal(origin.address(raw('10.0.0.2')), '10.0.0.2');
    assert.equal(origin.protocol(raw('10.0.0.2')), 'http');
  });
});
