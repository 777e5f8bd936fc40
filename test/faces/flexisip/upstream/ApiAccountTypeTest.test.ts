/**
 * Port of upstream's tests/Feature/ApiAccountTypeTest.php (flexisip-account-manager 75599dd). Account
 * types belong to a tenant here, so each test takes a fresh tenant and domain, as upstream takes a fresh
 * database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../../helpers/services.js';
import { createAccount, world } from '../world.js';
import { adminMember } from './upstream-world.js';

const route = '/api/account_types';

for (const dialect of DIALECTS) {
  describe(`upstream ApiAccountTypeTest (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(dialect);
    });
    after(() => server.close());

    const fresh = async () => {
      const w = await world(server);
      const admin = await adminMember(w);
      const api = (path: string, method = 'GET', json?: unknown) => call(`${w.url}${path}`, { method, headers: admin.key, ...(json !== undefined && { json }) });
      return { w, admin, api };
    };

    test('testCreate', async () => {
      const { api } = await fresh();
      assert.equal((await api(route, 'POST', { key: 'phone' })).status, 201);
      assert.equal((await api(route)).body.length, 1);
      const same = await api(route, 'POST', { key: 'phone' });
      assert.deepEqual([same.status, Object.keys(same.body.errors)], [422, ['key']]);
      assert.equal((await api(route, 'POST', {})).status, 422);
      assert.equal((await api(route, 'POST', { key: 'Abc1234' })).status, 422);
      assert.deepEqual((await api(route)).body.map((t: { key: string }) => t.key), ['phone']);
    });

    test('testDelete', async () => {
      const { api } = await fresh();
      const created = await api(route, 'POST', { key: 'phone' });
      assert.equal(created.status, 201);
      assert.equal((await api(`${route}/${created.body.id}`, 'DELETE')).status, 200);
      assert.equal((await api(route)).body.length, 0);
    });

    test('testUpdate', async () => {
      const { api } = await fresh();
      const created = await api(route, 'POST', { key: 'phone' });
      assert.equal((await api(`${route}/${created.body.id}`, 'PUT', { key: 'door' })).status, 200);
      assert.deepEqual((await api(route)).body.map((t: { key: string }) => t.key), ['door']);
    });

    test('testAccountAddType', async () => {
      const { w, api } = await fresh();
      const created = await api(route, 'POST', { key: 'phone' });
      assert.deepEqual([created.status, created.body.key, Number.isInteger(created.body.id)], [201, 'phone', true]);
      const account = await createAccount(w);
      const path = `/api/accounts/${account.id}/types/${created.body.id}`;
      assert.equal((await api(path, 'POST')).status, 200);
      assert.equal((await api(path, 'POST')).status, 403);
      const links = () => server.runtime.storage.db.selectFrom('sip_account_account_types').select('account_type_id').where('account_id', '=', account.id).execute();
      const got = await api(`/api/accounts/${account.id}`);
      assert.deepEqual([got.status, got.body.types], [200, [{ id: created.body.id, key: 'phone' }]]);
      // Remove, then retry.
      assert.equal((await api(path, 'DELETE')).status, 200);
      assert.equal((await links()).length, 0);
      assert.equal((await api(path, 'DELETE')).status, 403);
      assert.equal((await links()).length, 0);
    });
  });
}
