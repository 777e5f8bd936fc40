/**
 * Port of upstream's tests/Feature/ApiAccountActionTest.php (flexisip-account-manager 75599dd).
 * Upstream's factory account has a DTMF protocol; here it is set at creation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../../helpers/services.js';
import { type World, createAccount, world } from '../world.js';
import { adminMember } from './upstream-world.js';

const route = '/api/accounts';

for (const dialect of DIALECTS) {
  describe(`upstream ApiAccountActionTest (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());

    const setUp = async () => {
      const account = await createAccount(w, { dtmf_protocol: 'rfc2833' });
      const admin = await adminMember(w);
      const api = (path: string, method = 'GET', json?: unknown) => call(`${w.url}${route}/${account.id}${path}`, { method, headers: admin.key, ...(json !== undefined && { json }) });
      const count = async () => (await server.runtime.storage.db.selectFrom('sip_account_actions').select('id').where('account_id', '=', account.id).execute()).length;
      return { account, admin, api, count };
    };

    test('testCreate', async () => {
      const { account, admin, api, count } = await setUp();
      assert.equal((await api('/actions', 'POST', { key: '123', code: '123' })).status, 201);
      assert.equal(await count(), 1);
      assert.equal((await api('/actions', 'POST', { code: '123' })).status, 422);
      assert.equal((await api('/actions', 'POST', { key: 'Abc1234', code: '123' })).status, 422);
      const listed = await api('/actions');
      assert.deepEqual(listed.body.map((a: { key: string; code: string }) => [a.key, a.code]), [['123', '123']]);
      const withActions = await call(`${w.url}${route}/${account.id}`, { headers: admin.key });
      assert.deepEqual(withActions.body.actions.map((a: { key: string; code: string }) => [a.key, a.code]), [['123', '123']]);
      // No protocol: PUT replaces the account, so omitting dtmf_protocol clears it (specs/README.md).
      const cleared = await call(`${w.url}${route}/${account.id}`, { method: 'PUT', headers: admin.key, json: { username: account.username, password: account.password, algorithm: account.algorithm } });
      assert.deepEqual([cleared.status, cleared.body.dtmf_protocol], [200, null]);
      assert.equal((await api('/actions', 'POST', { key: 'abc1234', code: '123' })).status, 403);
      assert.equal((await api('/actions')).status, 403);
      const got = await call(`${w.url}${route}/${account.id}`, { headers: admin.key });
      assert.deepEqual([got.status, got.body.actions], [200, []]);
    });

    test('testDelete', async () => {
      const { api, count } = await setUp();
      const created = await api('/actions', 'POST', { key: '123', code: '123' });
      assert.equal(created.status, 201);
      assert.equal(await count(), 1);
      assert.equal((await api(`/actions/${created.body.id}`, 'DELETE')).status, 200);
      assert.equal(await count(), 0);
    });

    test('testUpdate', async () => {
      const { api } = await setUp();
      const created = await api('/actions', 'POST', { key: '123', code: '123' });
      assert.equal((await api(`/actions/${created.body.id}`, 'PUT', { key: '123', code: 'abc' })).status, 200);
      assert.deepEqual((await api('/actions')).body.map((a: { code: string }) => a.code), ['abc']);
    });
  });
}
