import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type World, startWorld } from './twofactor-world.js';

for (const dialect of DIALECTS) {
  describe(`Comm100 site authentication configs on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: World;
    before(async () => {
      w = await startWorld(dialect);
    });
    after(() => w.server.close());

    test('a super agent creates, reads and updates its site\'s 2FARequirement; the site\'s agents read it', async () => {
      assert.equal((await w.api('GET', `/global/siteAuthenticationConfigs/${w.siteA}`, w.agentA1.headers)).status, 404);
      const created = await w.api('POST', '/global/siteAuthenticationConfigs', w.superP.headers, { siteId: w.siteA, '2FARequirement': 1 });
      assert.deepEqual([created.status, created.body], [200, { siteId: w.siteA, '2FARequirement': 1 }]);
      const read = await w.api('GET', `/global/siteAuthenticationConfigs/${w.siteA}`, w.agentA1.headers);
      assert.deepEqual(read.body, { siteId: w.siteA, '2FARequirement': 1 });
      const updated = await w.api('PUT', '/global/siteAuthenticationConfigs', w.superP.headers, { siteId: w.siteA, '2FARequirement': 0 });
      assert.deepEqual(updated.body, { siteId: w.siteA, '2FARequirement': 0 });
      assert.equal(await w.server.runtime.core.twoFactor.siteRequirement(w.siteA), 0);
    });

    test('PUT creates a missing config, and an admin names the site by siteId', async () => {
      const res = await w.api('PUT', '/global/siteAuthenticationConfigs', w.admin, { siteId: w.siteB, '2FARequirement': 1 });
      assert.deepEqual([res.status, res.body], [200, { siteId: w.siteB, '2FARequirement': 1 }]);
      assert.equal(await w.server.runtime.core.twoFactor.siteRequirement(w.siteB), 1);
    });

    test('an agent cannot set its site\'s policy, and no one reaches another partner\'s site', async () => {
      const byAgent = await w.api('PUT', '/global/siteAuthenticationConfigs', w.agentC.headers, { '2FARequirement': 1 });
      assert.equal(byAgent.status, 403);
      assert.equal(await w.server.runtime.core.twoFactor.siteRequirement(w.siteC), null);
      assert.equal((await w.api('PUT', '/global/siteAuthenticationConfigs', w.superP.headers, { siteId: w.siteC, '2FARequirement': 1 })).status, 403);
      assert.equal((await w.api('GET', `/global/siteAuthenticationConfigs/${w.siteC}`, w.agentA1.headers)).status, 403);
    });

    test('2FARequirement must be 0 or 1', async () => {
      for (const value of [2, -1, 'yes', 1.5, [0, 1]]) {
        const res = await w.api('PUT', '/global/siteAuthenticationConfigs', w.admin, { siteId: w.siteC, '2FARequirement': value });
        assert.equal(res.status, 400, String(value));
        assert.match(res.body.message, /2FARequirement/);
      }
      const missing = await w.api('POST', '/global/siteAuthenticationConfigs', w.admin, { siteId: w.siteC });
      assert.match(missing.body.message, /^2FARequirement: is required/);
      assert.equal(await w.server.runtime.core.twoFactor.siteRequirement(w.siteC), null);
    });
  });
}
