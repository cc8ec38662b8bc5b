// deploy/nginx.conf in front of a real `gatehouse serve`: nginx serves the static files itself,
// proxies the API with keep-alive, and the app sees the original client address only through it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { httpCall } from './support/http-call.js';
import { startNginx } from './support/run-nginx.js';
import { spawnServer, type SpawnedServer } from './support/spawn-server.js';
import { freePort } from './support/spawn-server.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A loopback address other than nginx's own, so the client is told apart from the proxy. */
const CLIENT_ADDRESS = '127.0.0.2';
const ASSET = 'assets/app-4F2KQ7ZB.js';
const ASSET_TEXT = `// static asset served by nginx\n${'console.log("gatehouse static asset");\n'.repeat(40)}`;

function findNginx(): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'];
  return dirs.map((dir) => path.join(dir, 'nginx')).find((candidate) => existsSync(candidate));
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP call from {@link CLIENT_ADDRESS}, without decompressing, so headers are seen as sent. */
function call(port: number, pathname: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: pathname, method: options.method ?? 'GET', localAddress: CLIENT_ADDRESS, headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('latin1') }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function json(body: unknown): { method: string; headers: Record<string, string>; body: string } {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The app's log line for the request to `pathname` (the app logs the client address it believes). */
async function appLine(server: SpawnedServer, pathname: string): Promise<{ remoteAddress?: string; protocol?: string }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const line = server
      .logs()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { path?: string; remoteAddress?: string; protocol?: string })
      .find((l) => l.path === pathname);
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`the app logged no request for ${pathname}`);
    await sleep(50);
  }
}

test('nginx in front: static files, proxied API, client address through the trusted proxy', { timeout: 120_000 }, async (t) => {
  const nginx = findNginx();
  if (nginx === undefined) {
    assert.ok(process.env['CI'] === undefined, 'nginx is not installed (.ci/run installs it)');
    t.skip('nginx is not installed: apt-get install nginx-light');
    return;
  }

  const prefix = await mkdtemp(path.join(tmpdir(), 'gatehouse-nginx-'));
  let server: SpawnedServer | undefined;
  let proxy: ChildProcess | undefined;
  let proxyLog = '';
  try {
    // nginx's workers may run as another user when we are root: let them read and write here.
    await chmod(prefix, 0o755);
    const staticRoot = path.join(prefix, 'public');
    await mkdir(path.join(staticRoot, 'assets'), { recursive: true });
    await writeFile(path.join(staticRoot, 'index.html'), '<!doctype html><title>served by nginx</title>\n');
    await writeFile(path.join(staticRoot, ASSET), ASSET_TEXT);

    server = await spawnServer({ GATEHOUSE_LOG_LEVEL: 'info', GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1,::1', GATEHOUSE_LOGIN_RATE_LIMIT: '0' });
    const upstream = new URL(server.baseUrl).host;
    const port = await freePort();
    const template = await readFile(path.resolve(process.cwd(), 'deploy', 'nginx.conf'), 'utf8');
    const rendered = template
      .replaceAll('@@USER@@', userInfo().username)
      .replaceAll('@@PREFIX@@', prefix)
      .replaceAll('@@LISTEN@@', `127.0.0.1:${port}`)
      .replaceAll('@@SERVER_NAME@@', 'localhost')
      .replaceAll('@@STATIC_ROOT@@', staticRoot)
      .replaceAll('@@UPSTREAM@@', upstream);
    const directives = rendered.split('\n').filter((line) => !line.trim().startsWith('#'));
    assert.ok(!directives.some((line) => line.includes('@@')), 'every placeholder is substituted');
    const confPath = path.join(prefix, 'nginx.conf');
    await writeFile(confPath, rendered);

    proxy = spawn(nginx, ['-p', prefix, '-e', path.join(prefix, 'error.log'), '-c', confPath, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    proxy.stdout?.on('data', (chunk: Buffer) => (proxyLog += chunk.toString()));
    proxy.stderr?.on('data', (chunk: Buffer) => (proxyLog += chunk.toString()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proxy.exitCode !== null) throw new Error(`nginx exited: ${proxyLog}`);
      const ready = await call(port, '/healthz').catch(() => undefined);
      if (ready?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`nginx did not answer: ${proxyLog}`);
      await sleep(100);
    }

    // Static files come from nginx, not the app.
    const page = await call(port, '/index.html');
    assert.equal(page.status, 200);
    assert.match(page.body, /served by nginx/);
    assert.equal(page.headers['server'], 'nginx');
    assert.equal(page.headers['cache-control'], 'no-cache');
    const asset = await call(port, `/${ASSET}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(asset.status, 200);
    assert.equal(asset.headers['content-encoding'], 'gzip');
    assert.match(String(asset.headers['cache-control']), /max-age=31536000/);
    assert.match(String(asset.headers['cache-control']), /immutable/);
    assert.ok(!server.logs().includes(`"path":"/${ASSET}"`), 'the app never saw the static request');

    // The API through the proxy: register, login, call.
    const credentials = { username: 'nginxuser', password: 'through the proxy' };
    assert.equal((await call(port, '/api/users/', json(credentials))).status, 201);
    const login = await call(port, '/api/token/', json(credentials));
    assert.equal(login.status, 200);
    const { access } = JSON.parse(login.body) as { access: string };
    const me = await call(port, '/api/me/', { headers: { authorization: `Bearer ${access}`, 'x-forwarded-for': '198.51.100.9' } });
    assert.equal(me.status, 200);
    assert.equal((JSON.parse(me.body) as { username: string }).username, 'nginxuser');
    // Through the trusted proxy: the real client, not the address the client claimed.
    const seenThroughProxy = await appLine(server, '/api/me/');
    assert.equal(seenThroughProxy.remoteAddress, CLIENT_ADDRESS);
    assert.equal(seenThroughProxy.protocol, 'http');

    // The API description and its reference page come from the app, not the static root's
    // index.html fallback (the app's CSP header shows who answered).
    const description = await call(port, '/openapi.json');
    assert.equal(description.status, 200);
    assert.equal((JSON.parse(description.body) as { openapi: string }).openapi, '3.1.0');
    for (const pathname of ['/docs', '/docs/', '/docs/static/swagger-ui-bundle.js']) {
      const reference = await call(port, pathname);
      assert.equal(reference.status, 200, pathname);
      assert.match(String(reference.headers['content-security-policy']), /default-src 'self'/, pathname);
    }
    assert.match((await call(port, '/docs')).body, /<title>Gatehouse API<\/title>/);

    // Straight to the app from an untrusted address: the forwarded headers are ignored.
    const direct = await call(Number(new URL(server.baseUrl).port), '/.well-known/jwks.json', { headers: { 'x-forwarded-for': '198.51.100.9', 'x-forwarded-proto': 'https' } });
    assert.equal(direct.status, 200);
    const seenDirect = await appLine(server, '/.well-known/jwks.json');
    assert.equal(seenDirect.remoteAddress, CLIENT_ADDRESS);
    assert.equal(seenDirect.protocol, 'http');

    // nginx enforces the body limit before the app.
    const huge = await call(port, '/api/token/', json({ username: 'x', password: 'y'.repeat(100_000) }));
    assert.equal(huge.status, 413);
  } finally {
    if (proxy !== undefined && proxy.exitCode === null) {
      const exited = new Promise((resolve) => proxy?.once('exit', resolve));
      proxy.kill('SIGTERM');
      const timer = setTimeout(() => proxy?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await server?.stop();
    await rm(prefix, { recursive: true, force: true });
  }
});

test("deploy/ nginx configs never pass on a client's X-Forwarded-Host (nor its X-Forwarded-Proto)", { timeout: 60_000 }, async (t) => {
  const nginx = findNginx();
  if (nginx === undefined) {
    assert.ok(process.env['CI'] === undefined, 'nginx is not installed (.ci/run installs it)');
    t.skip('nginx is not installed: apt-get install nginx-light');
    return;
  }
  // The upstream answers with the headers nginx sent it, so what reaches the app is seen as sent.
  const upstream = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.headers));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const address = upstream.address();
  const target = `127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  try {
    const configs: Array<[string, Record<string, string>]> = [
      ['deploy/nginx.conf', { '@@UPSTREAM@@': target }],
      ['deploy/two-node/nginx.conf', { '@@NODE_A@@': target, '@@NODE_B@@': target }],
    ];
    for (const [config, placeholders] of configs) {
      const proxy = await startNginx(nginx, config, placeholders);
      try {
        const answer = await httpCall(`${proxy.baseUrl}/.well-known/oauth-authorization-server`, {
          headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
          notApi: 'a bare node:http upstream that echoes the headers nginx sent',
        });
        assert.equal(answer.status, 200, config);
        const seen = answer.body as IncomingHttpHeaders;
        assert.equal(seen['x-forwarded-host'], undefined, `${config}: the client's X-Forwarded-Host reached the app`);
        assert.equal(seen['x-forwarded-proto'], 'http', `${config}: nginx's own scheme, not the client's`);
        assert.ok(!JSON.stringify(seen).includes('evil.example'), config);
      } finally {
        await proxy.stop();
      }
    }
  } finally {
    await new Promise((resolve) => upstream.close(resolve));
  }
});
