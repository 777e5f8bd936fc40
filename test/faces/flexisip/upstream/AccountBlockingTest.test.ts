/**
 * Port of upstream's tests/Feature/AccountBlockingTest.php (flexisip-account-manager 75599dd). Upstream's
 * blocking_amount_events_authorized_during_period is GATEHOUSE_FLEXISIP_BLOCKING_EVENTS here, set to 2 for
 * the whole file as upstream sets it for testBlocking.
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
      server = await startTestServer(dialect, { env: { GATEHOUSE_FLEXISIP_BLOCKING_EVENTS: '2' } });
      w = await world(server);
    });
    after(() => server.close());

    test('testBlocking', async () => {
      const user = await member(w);
      // Upstream's '+331234' is not E.164, which specs/README.md requires: a French mobile number instead.
      assert.equal((await call(`${w.url}${route}/me/phone/request`, { headers: user.key, json: { phone: '+33612345678' } })).status, 200);
      const blocked = await call(`${w.url}${route}/me/email/request`, { headers: user.key, json: { email: 'foo@bar.com' } });
      assert.equal(blocked.status, 403, blocked.text);
      // What upstream's service does beside the answer: the account is blocked until an admin unblocks it.
      assert.equal((await call(`${w.url}${route}/me`, { headers: user.key })).status, 403);
    });

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
