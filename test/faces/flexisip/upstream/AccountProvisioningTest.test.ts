/**
 * Port of upstream's tests/Feature/AccountProvisioningTest.php (flexisip-account-manager 75599dd), for
 * the endpoints on the page only. Upstream's /provisioning… routes (the XML a Linphone client downloads:
 * testBaseProvisioning, testDisabledProvisioningHeader, testXLinphoneProvisioningHeader,
 * testAuthenticatedProvisioning, testPasswordResetProvisioning, testAuthTokenProvisioning) are not on the
 * page and Gatehouse does not serve them: not applicable. The two methods that reach /api… keep their
 * API half (a fresh provisioning_token, never the previous one).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../../helpers/services.js';
import { type World, world } from '../world.js';
import { adminMember, member } from './upstream-world.js';

const provisioning = { 'x-linphone-provisioning': 'true' };

for (const dialect of DIALECTS) {
  describe(`upstream AccountProvisioningTest (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());

    test('testAuthenticatedReProvisioning', async () => {
      const account = await member(w, { display_name: "Anna O'Reily" });
      const before_ = (await call(`${w.url}/api/accounts/me`, { headers: account.key })).body.provisioning_token;
      const res = await call(`${w.url}/api/accounts/me/provision`, { headers: { ...account.key, ...provisioning } });
      assert.equal(res.status, 200);
      assert.ok(res.body.provisioning_token);
      assert.ok(!res.text.includes(before_ ?? '\u0000'), 'never the previous token');
    });

    test('testConfirmationKeyProvisioning', async () => {
      const account = await member(w, { activated: false });
      const admin = await adminMember(w);
      const before_ = (await call(`${w.url}/api/accounts/${account.id}`, { headers: admin.key })).body.provisioning_token;
      const res = await call(`${w.url}/api/accounts/${account.id}/provision`, { headers: { ...admin.key, ...provisioning } });
      assert.equal(res.status, 200);
      assert.ok(res.body.provisioning_token);
      assert.notEqual(res.body.provisioning_token, before_);
      assert.ok(!res.text.includes(before_ ?? '\u0000'));
    });
  });
}
