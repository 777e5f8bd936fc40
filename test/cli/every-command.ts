/**
 * Every command of the command line's table, run as a real process beside a real server on the same
 * database: its table and --json output (ISO 8601 dates) and its effect, seen through the API. One
 * file per dialect (commands-sqlite.test.ts, commands-postgres.test.ts) runs this.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { verifyPassword } from '../../src/core/accounts/passwords.js';
import { runCli } from '../helpers/process.js';
import { type TestServer, apiKey, basic, bearer, call, startTestServer } from '../helpers/server.js';
import { type Dialect, skipDialect } from '../helpers/services.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Polls until check holds (another process's change is seen within the cache's 500 ms), or fails after 5 s. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`not within 5 s: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function everyCommand(dialect: Dialect): Promise<void> {
  describe(`every command beside a running server on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let env: Record<string, string>;
    const cli = async (...args: string[]) => {
      const res = await runCli(args, env);
      assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
      return res.stdout;
    };
    const json = async (...args: string[]) => JSON.parse(await cli(...args, '--json'));
    const url = (p: string) => `${server.url}${p}`;
    let tenant: { id: number; sid: string; authToken: string };
    let agent: { id: number; email: string; createdAt: string };

    before(async () => {
      server = await startTestServer(dialect);
      env = { DATABASE_URL: server.database.url, GATEHOUSE_DATA_DIR: server.database.dataDir };
    });
    after(() => server.close());

    test('tenant create, update, list: a table, or JSON with ISO dates', async () => {
      tenant = await json('tenant', 'create', '--name', 'CLI Acme');
      assert.deepEqual(Object.keys(tenant).sort(), ['authToken', 'id', 'sid']);
      assert.equal((await call(url(`/admin/tenants/${tenant.id}`), { headers: basic(tenant.sid, tenant.authToken) })).status, 200);
      assert.equal((await json('tenant', 'update', '--tenant', tenant.sid, '--email', 'ops@cli.test')).email, 'ops@cli.test');
      const listed = await json('tenant', 'list');
      const row = listed.find((t: { id: number }) => t.id === tenant.id);
      assert.equal(row.name, 'CLI Acme');
      assert.match(row.createdAt, ISO);
      const table = await cli('tenant', 'list');
      const lines = table.trimEnd().split('\n');
      assert.match(lines[0]!, /^id\s+sid\s+name\s+parentId\s+email\s+createdAt$/);
      assert.match(lines[1]!, /^-+\s+-+/);
      assert.ok(lines.some((l) => l.includes('CLI Acme') && l.includes('ops@cli.test') && ISO.test(l.split(/\s+/).at(-1)!)), table);
    });

    test('account create refuses a missing --password and makes nothing; with it, prints ISO dates', async () => {
      const refused = await runCli(['account', 'create', '--tenant', String(tenant.id), '--email', 'nopass@cli.test'], env);
      assert.equal(refused.code, 2);
      assert.deepEqual(await json('account', 'list', '--tenant', String(tenant.id)), []);
      agent = await json('account', 'create', '--tenant', String(tenant.id), '--email', 'agent@cli.test', '--password', 'a long password', '--role', 'agent');
      assert.equal(typeof agent.id, 'number');
      assert.match(agent.createdAt, ISO, 'not epoch milliseconds');
      const table = await cli('account', 'list', '--tenant', tenant.sid);
      assert.match(table, /^id\s+tenantId\s+email\s+username\s+domain\s+role\s+activated\s+blocked\s+createdAt\n/);
      assert.ok(table.includes('agent@cli.test'));
    });

    test('account get, update, unlock', async () => {
      const got = await json('account', 'get', '--id', String(agent.id));
      assert.equal(got.email, 'agent@cli.test');
      assert.equal(got.lockedUntil, null);
      assert.match(got.updatedAt, ISO);
      const record = await cli('account', 'get', '--id', String(agent.id));
      assert.match(record, /^id +\d+\n/m);
      assert.match(record, /^email +agent@cli\.test$/m);
      assert.equal((await json('account', 'update', '--id', String(agent.id), '--blocked', 'true')).blocked, true);
      const admin = apiKey(server.admin.apiKey);
      assert.equal((await call(url(`/admin/accounts/${agent.id}`), { headers: admin })).body.blocked, true);
      const back = await json('account', 'update', '--id', String(agent.id), '--blocked', 'false', '--display-name', 'Agent Smith');
      assert.deepEqual([back.blocked, back.displayName], [false, 'Agent Smith']);
      assert.deepEqual(await json('account', 'unlock', '--id', String(agent.id)), { id: agent.id, wasLocked: false, lock: { lockedUntil: null, failures: 0 } });
    });

    test('account reset-password sets the password and ends the account\'s JWTs', async () => {
      const admin = apiKey(server.admin.apiKey);
      const jwt = (await call(url(`/admin/accounts/${agent.id}/jwt`), { method: 'POST', headers: admin })).body.token;
      assert.equal((await call(url(`/admin/tenants/${tenant.id}`), { headers: bearer(jwt) })).status, 200);
      const done = await json('account', 'reset-password', '--id', String(agent.id), '--password', 'a brand new password');
      assert.equal(done.passwordReset, true);
      assert.ok(!JSON.stringify(done).includes('a brand new password'));
      assert.equal((await call(url(`/admin/tenants/${tenant.id}`), { headers: bearer(jwt) })).status, 401);
      const row = await server.runtime.storage.db.selectFrom('accounts').select('password_hash').where('id', '=', agent.id).executeTakeFirstOrThrow();
      assert.ok(await verifyPassword(row.password_hash, 'a brand new password'));
      const short = await runCli(['account', 'reset-password', '--id', String(agent.id), '--password', 'short'], env);
      assert.equal(short.code, 1);
      assert.equal(short.stderr, 'gatehouse: password: must be at least 8 characters\n');
    });

    test('apikey list finds a leaked key by prefix with its last use and creator; apikey revoke refuses it next', async () => {
      const admin = apiKey(server.admin.apiKey);
      const leaked = (await call(url(`/admin/accounts/${agent.id}/api-keys`), { headers: admin, json: { name: 'laptop' } })).body;
      assert.equal((await call(url(`/admin/tenants/${tenant.id}`), { headers: apiKey(leaked.apiKey) })).status, 200);
      await server.runtime.core.credentials.lastUsed.flush();
      const keys = await json('apikey', 'list', '--account', String(agent.id));
      const row = keys.find((k: { prefix: string }) => k.prefix === leaked.apiKey.slice(0, 12));
      assert.ok(row, JSON.stringify(keys));
      assert.equal(row.owner, 'agent@cli.test');
      assert.match(row.createdAt, ISO);
      assert.match(row.lastUsedAt, ISO);
      assert.equal(row.createdBy.kind, 'account');
      const all = await cli('apikey', 'list');
      assert.match(all, /^id\s+prefix\s+name\s+owner\s+tenantId\s+createdAt\s+expiresAt\s+lastUsedAt\s+createdBy\n/);
      assert.ok(all.includes(leaked.apiKey.slice(0, 12)) && !all.includes(leaked.apiKey));
      assert.deepEqual(await json('apikey', 'revoke', '--id', String(row.id)), { revoked: 1 });
      await eventually(async () => (await call(url(`/admin/tenants/${tenant.id}`), { headers: apiKey(leaked.apiKey) })).status === 401, 'the revoked key is refused');
      const two = [0, 1].map(() => call(url(`/admin/accounts/${agent.id}/api-keys`), { headers: admin, json: {} }));
      await Promise.all(two);
      assert.deepEqual(await json('apikey', 'revoke', '--account', String(agent.id)), { revoked: 2 });
      const gone = await runCli(['apikey', 'revoke', '--id', String(row.id)], env);
      assert.equal(gone.code, 1);
      assert.equal(gone.stderr, 'gatehouse: API key not found\n');
    });

    test('token list shows a tenant\'s tokens by prefix; token revoke ends one, or all of a tenant\'s', async () => {
      await call(url(`/admin/tenants/${tenant.id}`), { headers: basic(tenant.sid, tenant.authToken) });
      await server.runtime.core.credentials.lastUsed.flush();
      const tokens = await json('token', 'list', '--tenant', String(tenant.id));
      assert.equal(tokens.length, 1);
      assert.equal(tokens[0].prefix, tenant.authToken.slice(0, 12));
      assert.equal(tokens[0].createdBy.label, 'operator (CLI)');
      assert.match(tokens[0].lastUsedAt, ISO);
      assert.ok((await cli('token', 'list')).includes(tenant.authToken.slice(0, 12)));
      const second = (await call(url(`/admin/tenants/${tenant.id}/auth-tokens`), { method: 'POST', headers: apiKey(server.admin.apiKey) })).body;
      assert.deepEqual(await json('token', 'revoke', '--id', String(second.id)), { revoked: 1 });
      await eventually(async () => (await call(url(`/admin/tenants/${tenant.id}`), { headers: basic(tenant.sid, second.authToken) })).status === 401, 'the revoked token is refused');
      assert.deepEqual(await json('token', 'revoke', '--tenant', tenant.sid), { revoked: 1 });
      await eventually(async () => (await call(url(`/admin/tenants/${tenant.id}`), { headers: basic(tenant.sid, tenant.authToken) })).status === 401, 'every token of the tenant is refused');
    });

    test('tenant delete refuses a tenant with accounts, in one line; account delete, then tenant delete', async () => {
      const refused = await runCli(['tenant', 'delete', '--tenant', String(tenant.id)], env);
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr, 'gatehouse: tenant "CLI Acme" still has 1 account: delete the accounts first\n');
      assert.deepEqual(await json('account', 'delete', '--id', String(agent.id)), { id: agent.id, email: 'agent@cli.test', username: null, deleted: true });
      assert.equal((await call(url(`/admin/accounts/${agent.id}`), { headers: apiKey(server.admin.apiKey) })).status, 404);
      assert.equal((await json('tenant', 'delete', '--tenant', tenant.sid)).deleted, true);
      assert.equal((await call(url(`/admin/tenants/${tenant.id}`), { headers: apiKey(server.admin.apiKey) })).status, 404);
      const missing = await runCli(['account', 'list', '--tenant', String(tenant.id)], env);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, 'gatehouse: tenant not found\n');
    });

    test('admin create prints a working key once; migrate has nothing left to apply', async () => {
      const { apiKey: key } = await json('admin', 'create');
      assert.equal((await call(url('/admin/tenants'), { headers: apiKey(key) })).status, 200);
      assert.deepEqual(await json('migrate'), { applied: [] });
    });

    test(dialect === 'sqlite' ? 'backup copies the live database into a new owner-only file, and never overwrites one' : 'backup prints the pg_dump to run, without the database URL', async () => {
      const folder = mkdtempSync(path.join(tmpdir(), 'gatehouse-backup-'));
      try {
        const to = path.join(folder, 'copy.db');
        const done = await json('backup', '--to', to);
        if (dialect === 'postgres') {
          assert.equal(done.file, null);
          assert.match(done.hint, /^pg_dump --format=custom --file=".*copy\.db" "\$DATABASE_URL"$/);
          assert.ok(!JSON.stringify(done).includes(server.database.url));
          assert.ok(!existsSync(to));
          return;
        }
        assert.equal(done.file, to);
        assert.match(done.at, ISO);
        assert.equal(statSync(to).mode & 0o777, 0o600);
        const copy = new SqliteDatabase(to, { readonly: true });
        try {
          const live = await server.runtime.storage.db.selectFrom('tenants').select('id').execute();
          assert.equal((copy.prepare('select count(*) as n from tenants').get() as { n: number }).n, live.length);
          assert.equal((copy.prepare('pragma integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
        } finally {
          copy.close();
        }
        const again = await runCli(['backup', '--to', to], env);
        assert.equal(again.code, 1);
        assert.match(again.stderr, /exists; name a new file\n$/);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });
  });
}
