/**
 * Port of upstream's tests/Feature/AccountBlockingTest.php (flexisip-account-manager 75599dd).
 * testBlocking is not applicable: it sets upstream's blocking_amount_events_authorized_during_period,
 * a setting Gatehouse does not have (its own guessing limits are the security work's, issue 22).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../../helpers/services.js';
import { type World, world } from '../world.js';
import { adminMember, member } from './upstream-world.js';

const route = '/api/accounts';

for (const dialect of DIALECTS) {
  describe(`upstream AccountBlockingTest (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());

    test('testAdminBlocking', async () => {
      const user = await member(w);
      const admin = await adminMember(w);
      assert.equal((await call(`${w.url}${route}/me`, { headers: user.key })).status, 200);
      assert.equal((await call(`${w.url}${route}/${user.id}/block`, { method: 'POST', headers: admin.key })).status, 200);
      assert.equal((await call(`${w.url}${route}/me`, { headers: user.key })).status, 403);
      assert.equal((await call(`${w.url}${route}/${user.id}/unblock`, { method: 'POST', headers: admin.key })).status, 200);
      assert.equal((await call(`${w.url}${route}/me`, { headers: user.key })).status, 200);
    });
  });
}
