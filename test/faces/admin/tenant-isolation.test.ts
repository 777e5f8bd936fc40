import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, basic, call, startTestServer } from '../../helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`tenant isolation on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let partner: { id: number; sid: string; authToken: string };
    let siteA: { id: number; sid: string; authToken: string };
    let siteB: { id: number; sid: string; authToken: string };
    const as = (t: { sid: string; authToken: string }) => basic(t.sid, t.authToken);

    before(async () => {
      server = await startTestServer(dialect);
      const admin = apiKey(server.admin.apiKey);
      partner = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'partner' } })).body;
      siteA = (await call(`${server.url}/admin/tenants`, { headers: as(partner), json: { name: 'site A' } })).body;
      siteB = (await call(`${server.url}/admin/tenants`, { headers: as(partner), json: { name: 'site B' } })).body;
    });
    after(() => server.close());

    test('a tenant creating a tenant makes it its own sub-tenant', async () => {
      const res = await call(`${server.url}/admin/tenants/${siteA.sid}`, { headers: as(partner) });
      assert.equal(res.status, 200);
      assert.equal(res.body.parentId, partner.id);
    });

    test('a parent reaches its children by id and by SID', async () => {
      assert.equal((await call(`${server.url}/admin/tenants/${siteA.id}`, { headers: as(partner) })).status, 200);
      assert.equal((await call(`${server.url}/admin/tenants/${siteB.sid}`, { headers: as(partner) })).status, 200);
      const list = await call(`${server.url}/admin/tenants`, { headers: as(partner) });
      assert.deepEqual(list.body.tenants.map((t: { id: number }) => t.id).sort(), [partner.id, siteA.id, siteB.id].sort());
    });

    test('a child never reaches its sibling or its parent', async () => {
      for (const target of [siteB.id, siteB.sid, partner.id, partner.sid]) {
        const res = await call(`${server.url}/admin/tenants/${target}`, { headers: as(siteA) });
        assert.equal(res.status, 403, `site A read ${target}`);
        assert.equal(res.body.error.code, 'forbidden');
      }
      const list = await call(`${server.url}/admin/tenants`, { headers: as(siteA) });
      assert.deepEqual(list.body.tenants.map((t: { id: number }) => t.id), [siteA.id]);
    });

    test('a child cannot create accounts or tokens in a sibling', async () => {
      const before = await server.runtime.storage.db.selectFrom('accounts').select('id').execute();
      const res = await call(`${server.url}/admin/accounts`, {
        headers: as(siteA),
        json: { tenant: siteB.sid, email: 'intruder@example.com', password: 'long enough' },
      });
      assert.equal(res.status, 403);
      const token = await call(`${server.url}/admin/tenants/${siteB.id}/auth-tokens`, { method: 'POST', headers: as(siteA) });
      assert.equal(token.status, 403);
      const afterRows = await server.runtime.storage.db.selectFrom('accounts').select('id').execute();
      assert.equal(afterRows.length, before.length);
    });

    test('a parent reaches the accounts of its children, a sibling does not', async () => {
      const created = await call(`${server.url}/admin/accounts`, {
        headers: as(partner),
        json: { tenant: siteA.sid, email: 'agent@a.example', password: 'correct horse' },
      });
      assert.equal(created.status, 201);
      assert.equal((await call(`${server.url}/admin/accounts/${created.body.id}`, { headers: as(siteA) })).status, 200);
      assert.equal((await call(`${server.url}/admin/accounts/${created.body.id}`, { headers: as(siteB) })).status, 403);
      assert.equal((await call(`${server.url}/admin/accounts?tenant=${siteA.id}`, { headers: as(siteB) })).status, 403);
    });
  });
}
