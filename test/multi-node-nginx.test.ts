// deploy/two-node/ as documented: its nginx.conf in front of two `gatehouse serve` nodes on one
// database. One node is stopped (SIGTERM) under steady load and no request is lost; and the env
// files name only real settings, the same on both nodes but for where each listens.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseEnvFile } from '../src/config/env-file.js';
import { loadConfig } from '../src/config/load-config.js';
import { unsafeSettings } from '../src/config/check-safety.js';
import { SCHEMA } from '../src/config/schema.js';
import { httpCall, type CallAnswer } from './support/http-call.js';
import { findNginx, startNginx, type RunningNginx } from './support/run-nginx.js';
import type { SpawnedServer } from './support/spawn-server.js';
import { createSharedDatabase, SHARED_STORES, startTwoNodes, type SharedDatabase, type TwoNodes } from './support/two-nodes.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const TWO_NODE_DIR = path.join('deploy', 'two-node');
const PASSWORD = 'behind one nginx';
/** Concurrent clients, each with its own login, alternating GET /api/me/ and a refresh. */
const CLIENTS = 6;
/** Load before the SIGTERM, and after the node has gone. */
const LOAD_BEFORE_MS = 1500;
const LOAD_AFTER_MS = 1500;

const nginxBinary = findNginx();

interface Tokens {
  access: string;
  refresh: string;
}

function tokensOf(answer: CallAnswer, what: string): Tokens {
  assert.equal(answer.status, 200, `${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  const body = answer.body as Partial<Tokens>;
  assert.ok(typeof body.access === 'string' && typeof body.refresh === 'string', `${what}: a token pair`);
  return { access: body.access, refresh: body.refresh };
}

/** `host:port` of a node, for the upstream block. */
function upstreamOf(node: SpawnedServer): string {
  return new URL(node.baseUrl).host;
}

/** How many request lines for GET /api/me/ the node logged (at GATEHOUSE_LOG_LEVEL=info). */
function meRequestsServed(node: SpawnedServer): number {
  return node.logs().split('\n').filter((line) => line.includes('"path":"/api/me/"')).length;
}

interface Outcome {
  readonly what: string;
  /** The HTTP status, or the client-side error. */
  readonly result: number | string;
  readonly at: number;
}

/**
 * `CLIENTS` loops through nginx until `stop()`: GET /api/me/, then POST /api/token/refresh/ with
 * the client's latest refresh token (a lost or replayed refresh shows up as a 401 on the next
 * one, since the token would be spent). A client stops at its first failure.
 */
function startLoad(baseUrl: string, logins: Tokens[]): { stop(): Promise<Outcome[]> } {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const outcomes: Outcome[] = [];
  let stopped = false;
  const attempt = async (what: string, run: () => Promise<CallAnswer>): Promise<CallAnswer | undefined> => {
    try {
      const answer = await run();
      outcomes.push({ what, result: answer.status, at: Date.now() });
      return answer.status >= 200 && answer.status < 300 ? answer : undefined;
    } catch (error) {
      outcomes.push({ what, result: error instanceof Error ? error.message : String(error), at: Date.now() });
      return undefined;
    }
  };
  const client = async (tokens: Tokens): Promise<void> => {
    while (!stopped) {
      const me = await attempt('GET /api/me/', () => httpCall(`${baseUrl}/api/me/`, { bearer: tokens.access, agent }));
      if (me === undefined) return;
      const refreshed = await attempt('POST /api/token/refresh/', () => httpCall(`${baseUrl}/api/token/refresh/`, { json: { refresh: tokens.refresh }, agent }));
      if (refreshed === undefined) return;
      tokens = tokensOf(refreshed, 'refresh under load');
    }
  };
  const clients = logins.map((tokens) => client({ ...tokens }));
  return {
    async stop() {
      stopped = true;
      await Promise.all(clients);
      agent.destroy();
      return outcomes;
    },
  };
}

test('deploy/two-node/node-a.env and node-b.env name only real settings that parse, and differ only in HOST', async () => {
  const known = new Set(Object.values(SCHEMA).map((setting) => setting.env));
  const files = await Promise.all(['node-a.env', 'node-b.env'].map(async (name) => ({ name, text: await readFile(path.join(TWO_NODE_DIR, name), 'utf8') })));
  const [a, b] = files.map(({ name, text }) => {
    // Commented-out settings are documentation too: their names must be real.
    for (const [, key] of text.matchAll(/^#\s*([A-Z][A-Z0-9_]*)=/gm)) assert.ok(key !== undefined && known.has(key), `${name}: ${key} is not a setting`);
    const values = parseEnvFile(text);
    for (const key of Object.keys(values)) assert.ok(known.has(key), `${name}: ${key} is not a setting`);
    const config = loadConfig(values);
    assert.deepEqual(unsafeSettings(config), [], `${name}: safe to serve with`);
    assert.ok(config.databaseUrl?.startsWith('postgres://'), `${name}: a shared PostgreSQL database`);
    assert.ok(config.redisUrl !== undefined, `${name}: a shared Redis`);
    return values;
  });
  assert.ok(a !== undefined && b !== undefined);
  assert.notEqual(a['HOST'], b['HOST']);
  const { HOST: _hostA, ...sharedA } = a;
  const { HOST: _hostB, ...sharedB } = b;
  assert.deepEqual(sharedA, sharedB, 'every setting but HOST is the same on both nodes');
});

for (const store of SHARED_STORES) {
  describe(`deploy/two-node/nginx.conf in front of two nodes on ${store}`, { timeout: 120_000 }, () => {
    let database: SharedDatabase | undefined;
    let nodes: TwoNodes | undefined;
    let nginx: RunningNginx | undefined;

    before(async () => {
      if (nginxBinary === undefined) return;
      database = await createSharedDatabase(store);
      // Request lines (info) show which node answered.
      nodes = await startTwoNodes(database, { GATEHOUSE_LOG_LEVEL: 'info' });
      nginx = await startNginx(nginxBinary, path.join(TWO_NODE_DIR, 'nginx.conf'), { '@@NODE_A@@': upstreamOf(nodes.a), '@@NODE_B@@': upstreamOf(nodes.b) });
    });
    after(async () => {
      await nginx?.stop();
      await nodes?.stop();
      await database?.drop();
    });

    /** The running setup, or skips the test where nginx is not installed. */
    const setup = (t: { skip(message: string): void }): { nodes: TwoNodes; nginx: RunningNginx } | undefined => {
      if (nginxBinary === undefined) {
        assert.ok(process.env['CI'] === undefined, 'nginx is not installed (.ci/run installs it)');
        t.skip('nginx is not installed: apt-get install nginx-light');
        return undefined;
      }
      assert.ok(nodes !== undefined && nginx !== undefined, 'the nodes and nginx started');
      return { nodes, nginx };
    };

    test("a client's X-Forwarded-Host never reaches the nodes", async (t) => {
      const running = setup(t);
      if (running === undefined) return;
      for (let i = 0; i < 4; i++) {
        const answer = await httpCall(`${running.nginx.baseUrl}/.well-known/oauth-authorization-server`, { headers: { 'x-forwarded-host': 'attacker.example' } });
        assert.equal(answer.status, 200);
        assert.ok(!JSON.stringify(answer.body).includes('attacker.example'), `the metadata names the client's host: ${JSON.stringify(answer.body)}`);
      }
    });

    test('SIGTERM to one node under steady load: every request through nginx still gets a 2xx', async (t) => {
      const running = setup(t);
      if (running === undefined) return;
      const { a, b } = running.nodes;
      const base = running.nginx.baseUrl;
      const username = 'loadclient';
      assert.equal((await httpCall(`${base}/api/users/`, { json: { username, password: PASSWORD } })).status, 201);
      const logins: Tokens[] = [];
      for (let i = 0; i < CLIENTS; i++) logins.push(tokensOf(await httpCall(`${base}/api/token/`, { json: { username, password: PASSWORD } }), 'login'));

      const load = startLoad(base, logins);
      await sleep(LOAD_BEFORE_MS);
      const servedByABefore = meRequestsServed(a);
      const termAt = Date.now();
      await a.stop(); // SIGTERM, resolves once node A's primary has exited
      const goneAt = Date.now();
      await sleep(LOAD_AFTER_MS);
      const outcomes = await load.stop();

      const failures = outcomes.filter((outcome) => typeof outcome.result !== 'number' || outcome.result < 200 || outcome.result >= 300);
      const during = outcomes.filter((outcome) => outcome.at >= termAt && outcome.at < goneAt).length;
      const afterwards = outcomes.filter((outcome) => outcome.at >= goneAt).length;
      const nginxLog = await running.nginx.logs();
      const upstreamErrors = nginxLog.split('\n').filter((line) => line.includes('[error]') && line.includes('upstream')).length;
      t.diagnostic(`${outcomes.length} requests: ${during} while node A drained (${goneAt - termAt} ms), ${afterwards} after it exited; A had answered ${servedByABefore} GET /api/me/ before the SIGTERM; nginx logged ${upstreamErrors} upstream errors`);
      assert.deepEqual(
        failures.slice(0, 10).map((failure) => `${failure.what} at +${failure.at - termAt} ms: ${failure.result}`),
        [],
        `${failures.length} of ${outcomes.length} requests failed\n${nginxLog.slice(-2000)}`,
      );
      assert.ok(servedByABefore > 0, 'node A answered part of the load before it was stopped');
      assert.ok(afterwards > 0, 'the load went on after node A exited');
      // Node B carries everything now.
      assert.equal((await httpCall(`${base}/readyz`)).status, 200);
      assert.ok(meRequestsServed(b) > 0);
    });
  });
}
