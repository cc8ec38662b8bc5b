// The test-side TCP proxy the multi-node tests cut the database off with: it forwards bytes,
// refuses or swallows them when cut, and forwards again after restore.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let echo: Server;
let proxy: TcpProxy;

before(async () => {
  echo = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  const address = echo.address();
  assert.ok(address !== null && typeof address === 'object');
  proxy = await startTcpProxy({ host: '127.0.0.1', port: address.port });
});

after(async () => {
  await proxy.close();
  echo.close();
});

interface Client {
  readonly socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves when the socket has closed, with whether it ended in an error. */
  readonly closed: Promise<boolean>;
}

async function connect(): Promise<Client> {
  const socket = createConnection({ host: '127.0.0.1', port: proxy.port });
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  let hadError = false;
  socket.on('error', () => (hadError = true));
  const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(hadError)));
  await once(socket, 'connect');
  return { socket, received: () => text, closed };
}

/** Waits until `client` has received `expected`, or fails after `ms`. */
async function receives(client: Client, expected: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (client.received() !== expected) {
    if (Date.now() > deadline) assert.fail(`received ${JSON.stringify(client.received())}, expected ${JSON.stringify(expected)}`);
    await sleep(10);
  }
}

/** Resolves true if `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return settled;
}

test('the proxy forwards bytes both ways', async () => {
  const client = await connect();
  client.socket.write('hello ');
  client.socket.write('proxy');
  await receives(client, 'hello proxy');
  client.socket.destroy();
});

test("cut('refuse') resets open connections and every new one; restore() forwards again", async () => {
  const open = await connect();
  open.socket.write('before');
  await receives(open, 'before');

  proxy.cut('refuse');
  assert.equal(proxy.state, 'refuse');
  assert.ok(await settlesWithin(open.closed, 2000), 'the open connection was closed');

  // A new connection is accepted by the kernel, then reset before any byte crosses.
  const refused = createConnection({ host: '127.0.0.1', port: proxy.port });
  refused.on('error', () => undefined);
  let echoed = '';
  refused.on('data', (chunk: Buffer) => (echoed += chunk.toString()));
  refused.write('anyone?');
  const refusedClosed = new Promise((resolve) => refused.once('close', resolve));
  assert.ok(await settlesWithin(refusedClosed, 2000), 'the new connection was closed');
  assert.equal(echoed, '');

  proxy.restore();
  assert.equal(proxy.state, 'open');
  const again = await connect();
  again.socket.write('again');
  await receives(again, 'again');
  again.socket.destroy();
});

test("cut('blackhole') keeps connections open but forwards nothing; restore() drops them and forwards new ones", async () => {
  const open = await connect();
  open.socket.write('ping');
  await receives(open, 'ping');

  proxy.cut('blackhole');
  open.socket.write('lost');
  const fresh = await connect(); // accepted, never forwarded
  fresh.socket.write('lost too');
  await sleep(300);
  assert.equal(open.received(), 'ping', 'nothing came back on the open connection');
  assert.equal(fresh.received(), '', 'nothing came back on the new connection');
  assert.equal(open.socket.destroyed, false, 'the open connection is still open');
  assert.equal(fresh.socket.destroyed, false, 'the new connection is still open');

  proxy.restore();
  assert.ok(await settlesWithin(open.closed, 2000), 'the frozen connection was closed on restore');
  assert.ok(await settlesWithin(fresh.closed, 2000), 'the connection accepted during the cut was closed on restore');
  const again = await connect();
  again.socket.write('back');
  await receives(again, 'back');
  again.socket.destroy();
});
