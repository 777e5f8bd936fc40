/**
 * Port of upstream's tests/Feature/ApiAccountMessageTest.php (flexisip-account-manager 75599dd). Only
 * the refusal is ported: the send itself needs a SIP proxy (GATEHOUSE_SIP_PROXY), which upstream's test
 * reaches through its own publisher; without one Gatehouse answers 503 (test/faces/flexisip/directory.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../../helpers/services.js';
import { type World, world } from '../world.js';
import { adminMember } from './upstream-world.js';

for (const dialect of DIALECTS) {
  describe(`upstream ApiAccountMessageTest (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());

    test('testRequest', async () => {
      const admin = await adminMember(w);
      const bad = await call(`${w.url}/api/messages`, { headers: admin.key, json: { to: '+badid', body: 'foobar' } });
      assert.deepEqual([bad.status, Object.keys(bad.body.errors)], [422, ['to']]);
    });
  });
}
