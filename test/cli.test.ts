import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, createTestDatabase, type TestDatabase } from './support/databases.js';
import { cliEnv, gatehouse } from './support/run-cli.js';

for (const dialect of DIALECTS) {
  describe(`gatehouse CLI (${dialect})`, () => {
    let database: TestDatabase;
    let env: Record<string, string | undefined>;
    before(async () => {
      database = await createTestDatabase(dialect);
      env = cliEnv(database);
    });
    after(async () => {
      await database?.drop();
    });

    it('migrates, adds users from stdin, lists, changes passwords and deactivates', async () => {
      const migrate = await gatehouse(['migrate'], env);
      assert.equal(migrate.code, 0, migrate.stderr);

      const add = await gatehouse(['users', 'add', 'alice', '--password-stdin'], env, 's3cret-password\n');
      assert.equal(add.code, 0, add.stderr);
      assert.ok(!add.stdout.includes('s3cret-password'));

      const again = await gatehouse(['users', 'add', 'alice', '--password-stdin'], env, 'another-password\n');
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already exists/);

      const short = await gatehouse(['users', 'add', 'bob', '--password-stdin'], env, 'abc\n');
      assert.equal(short.code, 1);

      assert.equal((await gatehouse(['users', 'set-password', 'alice', '--password-stdin'], env, 'a-new-password\n')).code, 0);
      assert.equal((await gatehouse(['users', 'deactivate', 'alice'], env)).code, 0);
      const missing = await gatehouse(['users', 'deactivate', 'nobody'], env);
      assert.equal(missing.code, 1);

      const list = await gatehouse(['users', 'list', '--json'], env);
      assert.equal(list.code, 0, list.stderr);
      const users = JSON.parse(list.stdout) as Array<{ username: string; is_active: boolean; last_login: string | null; date_joined: string }>;
      assert.deepEqual(users.map((u) => [u.username, u.is_active]), [['alice', false]]);
      // Never logged in: null, as the API shows it (not the table's "-").
      assert.equal(users[0]?.last_login, null);
      assert.ok(!Number.isNaN(Date.parse(users[0]?.date_joined ?? '')));
      const table = await gatehouse(['users', 'list'], env);
      assert.match(table.stdout, /alice/);
    });

    it('adds admins, grants and revokes the flag, and shows the audit trail of what it did', async () => {
      assert.equal((await gatehouse(['migrate'], env)).code, 0);
      const add = await gatehouse(['users', 'add', 'root-admin', '--admin', '--password-stdin'], env, 'admin-password-1\n');
      assert.equal(add.code, 0, add.stderr);
      assert.match(add.stdout, /Created admin user root-admin/);
      assert.equal((await gatehouse(['users', 'add', 'carol', '--password-stdin'], env, 'carol-password-1\n')).code, 0);
      const admins = async (): Promise<Record<string, boolean>> => {
        const list = await gatehouse(['users', 'list', '--json'], env);
        return Object.fromEntries((JSON.parse(list.stdout) as { username: string; is_admin: boolean }[]).map((u) => [u.username, u.is_admin]));
      };
      assert.equal((await admins())['root-admin'], true);
      assert.equal((await admins())['carol'], false);
      const on = await gatehouse(['users', 'admin', 'carol', 'on'], env);
      assert.equal(on.code, 0, on.stderr);
      assert.equal((await admins())['carol'], true);
      assert.equal((await gatehouse(['users', 'admin', 'carol', 'off'], env)).code, 0);
      assert.equal((await admins())['carol'], false);
      const bad = await gatehouse(['users', 'admin', 'carol', 'maybe'], env);
      assert.equal(bad.code, 1);

      const trail = await gatehouse(['audit', '--user', 'carol', '--since', '1h', '--json'], env);
      assert.equal(trail.code, 0, trail.stderr);
      const events = JSON.parse(trail.stdout) as { event: string; username: string; actor_username: string; reason: string | null }[];
      assert.deepEqual(events.map((e) => [e.event, e.reason]), [['admin_changed', 'revoked'], ['admin_changed', 'granted'], ['user_created', null]]);
      assert.ok(events.every((e) => e.username === 'carol' && e.actor_username === 'cli'));
      assert.ok(!trail.stdout.includes('carol-password-1'));
      const table = await gatehouse(['audit', '--event', 'user_created'], env);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /^TIME\tEVENT/);
      assert.match(table.stdout, /user_created\tcarol/);
      assert.equal((await gatehouse(['audit', '--since', 'soon'], env)).code, 1);
      assert.equal((await gatehouse(['audit', '--event', 'made_up'], env)).code, 1);
    });

    it('flushes expired refresh tokens', async () => {
      const flush = await gatehouse(['tokens', 'flush-expired'], env);
      assert.equal(flush.code, 0, flush.stderr);
      assert.match(flush.stdout, /Deleted \d+ expired refresh tokens/);
    });
  });
}

describe('gatehouse CLI settings', () => {
  it('stops on a bad setting, naming the variable but never its value', async () => {
    const result = await gatehouse(['migrate'], { GATEHOUSE_ACCESS_TOKEN_LIFETIME: '5 fortnights-secretvalue' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /GATEHOUSE_ACCESS_TOKEN_LIFETIME/);
    assert.ok(!result.stderr.includes('secretvalue'));
  });

  it('prints an example.env that matches the committed one', async () => {
    const result = await gatehouse(['config', 'example'], {});
    assert.equal(result.code, 0);
    const committed = await readFile(new URL('../../example.env', import.meta.url), 'utf8');
    assert.equal(result.stdout, committed);
    assert.match(committed, /GATEHOUSE_ACCESS_TOKEN_LIFETIME=5m/);
  });

  it('answers unknown commands with usage and exit code 2', async () => {
    const result = await gatehouse(['frobnicate'], {});
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Usage: gatehouse/);
  });
});
