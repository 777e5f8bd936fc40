/**
 * Port of upstream's tests/Feature/ApiAccountDictionaryTest.php (flexisip-account-manager 75599dd).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../../helpers/services.js';
import { type World, createAccount, world } from '../world.js';
import { adminMember } from './upstream-world.js';

for (const dialect of DIALECTS) {
  describe(`upstream ApiAccountDictionaryTest (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());

    test('testCreate', async () => {
      const account = await createAccount(w);
      const admin = await adminMember(w);
      const entry = (key: string, value?: string, method = 'POST') => call(`${w.url}/api/accounts/${account.id}/dictionary/${key}`, { method, headers: admin.key, ...(value !== undefined && { json: { value } }) });
      const dictionary = async () => (await call(`${w.url}/api/accounts/${account.id}/dictionary`, { headers: admin.key })).body;
      // First key.
      assert.equal((await entry('foo', 'bar')).status, 201);
      assert.deepEqual(await dictionary(), { foo: 'bar' });
      const shown = await call(`${w.url}/api/accounts/${account.id}`, { headers: admin.key });
      assert.deepEqual([shown.status, shown.body.dictionary], [200, { foo: 'bar' }]);
      // Update.
      assert.equal((await entry('foo', 'yop')).status, 200);
      assert.deepEqual(await dictionary(), { foo: 'yop' });
      // Second key.
      assert.equal((await entry('waza', 'yop')).status, 201);
      assert.deepEqual(await dictionary(), { foo: 'yop', waza: 'yop' });
      // Delete.
      assert.equal((await entry('foo', undefined, 'DELETE')).status, 200);
      assert.deepEqual(await dictionary(), { waza: 'yop' });
    });
  });
}
