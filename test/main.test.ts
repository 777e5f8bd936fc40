import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DIALECTS, createTestDatabase, skipDialect } from './helpers/services.js';
import { runCli, startServerProcess } from './helpers/process.js';
import { apiKey, basic, call } from './helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`the gatehouse command line on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    test('works on the same database and key as a running server', async () => {
      const db = await createTestDatabase(dialect);
      const env = { DATABASE_URL: db.url, GATEHOUSE_DATA_DIR: db.dataDir };
      const server = await startServerProcess(env);
      try {
        assert.ok(!server.output().includes('gha_'), 'the bootstrap credentials stay out of the log');
        const boot = JSON.parse(readFileSync(path.join(db.dataDir, 'bootstrap-credentials.json'), 'utf8'));
        assert.match(boot.apiKey, /^gha_/, 'serve writes the bootstrap admin key on first start');

        const tenant = await runCli(['tenant', 'create', '--name', 'Acme', '--json'], env);
        assert.equal(tenant.code, 0, tenant.stderr);
        const t = JSON.parse(tenant.stdout);
        assert.deepEqual(Object.keys(t).sort(), ['authToken', 'id', 'sid']);
        assert.match(t.sid, /^AC[0-9a-f]{32}$/);
        assert.equal((await call(`${server.url}/admin/tenants/${t.id}`, { headers: basic(t.sid, t.authToken) })).status, 200);

        const site = JSON.parse((await runCli(['tenant', 'create', '--name', 'Site', '--parent', t.sid, '--json'], env)).stdout);
        const listed = JSON.parse((await runCli(['tenant', 'list', '--json'], env)).stdout);
        assert.equal(listed.find((x: { id: number }) => x.id === site.id).parentId, t.id);

        const account = await runCli(['account', 'create', '--tenant', String(site.id), '--email', 'agent@acme.test', '--password', 'a long password', '--role', 'agent', '--json'], env);
        assert.equal(account.code, 0, account.stderr);
        const accountId = JSON.parse(account.stdout).id;
        assert.equal(typeof accountId, 'number');

        const admin = await runCli(['admin', 'create', '--json'], env);
        const { apiKey: key } = JSON.parse(admin.stdout);
        assert.match(key, /^gha_/);
        const read = await call(`${server.url}/admin/accounts/${accountId}`, { headers: apiKey(key) });
        assert.equal(read.status, 200);
        assert.equal(read.body.email, 'agent@acme.test');

        const jwt = (await call(`${server.url}/admin/accounts/${accountId}/jwt`, { method: 'POST', headers: apiKey(key) })).body.token;
        const rotated = await runCli(['keys', 'rotate', '--json'], env);
        assert.equal(rotated.code, 0, rotated.stderr);
        assert.equal(JSON.parse(rotated.stdout).resealed, 6, 'the JWT signing key, the Smart 2FA code pepper, the Digest nonce key, the device-cookie key, the CSRF key and the passkey challenge key were re-sealed');
        const keyFile = JSON.parse(readFileSync(path.join(db.dataDir, 'master.key'), 'utf8'));
        assert.equal(keyFile.keys.length, 2);
        // The running server still verifies its JWTs and a restarted one opens the re-sealed key.
        assert.equal((await call(`${server.url}/admin/tenants/${site.id}`, { headers: { authorization: `Bearer ${jwt}` } })).status, 200);
        assert.equal(await server.stop(), 0);
        const again = await startServerProcess(env);
        try {
          assert.ok(!again.errors().includes('bootstrap credentials'), 'bootstrap happens once');
          assert.equal((await call(`${again.url}/admin/tenants/${site.id}`, { headers: { authorization: `Bearer ${jwt}` } })).status, 200);
        } finally {
          await again.stop();
        }
        const migrated = await runCli(['migrate', '--json'], env);
        assert.deepEqual(JSON.parse(migrated.stdout), { applied: [] });
      } finally {
        await server.stop();
        await db.drop();
      }
    });
  });
}

describe('the gatehouse command line', () => {
  test('a bad setting stops it with a message naming the variable', async () => {
    for (const [name, value] of [['PORT', 'eighty'], ['DATABASE_URL', 'mysql://x'], ['LOG_LEVEL', 'loud'], ['GATEHOUSE_MASTER_KEY', 'short']]) {
      const res = await runCli(['serve'], { [name!]: value! });
      assert.equal(res.code, 2, `${name}: ${res.stderr}`);
      assert.match(res.stderr, new RegExp(`configuration error: ${name}:`));
    }
  });

  test('wrong usage prints the usage and exits 2', async () => {
    const res = await runCli(['tenant', 'create'], { GATEHOUSE_DATA_DIR: '/tmp/gatehouse-cli-unused' });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /needs --name/);
    const unknown = await runCli(['frobnicate'], { GATEHOUSE_DATA_DIR: '/tmp/gatehouse-cli-unused' });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /usage: gatehouse/);
  });

  test('a refused input is reported without a stack trace', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const res = await runCli(['account', 'create', '--tenant', '424242', '--email', 'a@b.test', '--password', 'a long password'], { DATABASE_URL: db.url, GATEHOUSE_DATA_DIR: db.dataDir });
      assert.equal(res.code, 1);
      assert.equal(res.stderr.trim(), 'gatehouse: tenant: no such tenant');
    } finally {
      await db.drop();
    }
  });
});
