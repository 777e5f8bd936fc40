import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type World, setUp2fa, startWorld } from './twofactor-world.js';

const CODE = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{12}$/;

for (const dialect of DIALECTS) {
  describe(`Comm100 backup codes on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: World;
    before(async () => {
      w = await startWorld(dialect);
    });
    after(() => w.server.close());
    const use = (accountId: number, code: string) => w.server.runtime.core.twoFactor.useBackupCode(accountId, code);

    test('every spelling of "generate" answers a code, and each new one replaces the last', async () => {
      const agent = await w.newAgent();
      const codes: string[] = [];
      for (const path of ['/global/agent2faBackupCodes:generate', '/global/agent2faBackupCode:generate', '/2fa/code', '/2fa/codes']) {
        const res = await w.api('POST', path, agent.headers);
        assert.equal(res.status, 200, path);
        assert.match(res.body.code, CODE);
        codes.push(res.body.code);
      }
      for (const old of codes.slice(0, -1)) assert.equal(await use(agent.id, old), false);
      assert.equal(await use(agent.id, codes.at(-1)!), true);
      assert.equal(await use(agent.id, codes.at(-1)!), false, 'used once');
    });

    test('a super agent\'s code is generated under both partner spellings, with partnerId and superAgentId', async () => {
      const sa = await w.newSuperAgent();
      const first = await w.api('POST', '/partnerglobal/superagent2fabackupcodes:generate', w.superP.headers, { partnerId: w.partner, superAgentId: sa.id });
      assert.equal(first.status, 200);
      const second = await w.api('POST', '/partnerglobal/superagents2fabackupcodes:generate', sa.headers, { partnerId: w.partner, superAgentId: sa.id });
      assert.equal(second.status, 200);
      assert.equal(await use(sa.id, first.body.code), false);
      assert.equal(await use(sa.id, second.body.code), true);
      const foreign = await w.api('POST', '/partnerglobal/superagents2fabackupcodes:generate', w.superQ.headers, { partnerId: w.partner, superAgentId: sa.id });
      assert.equal(foreign.status, 403);
    });

    test('GET says whether a code exists and since when, never the code; PUT replaces it; DELETE revokes it', async () => {
      const agent = await w.newAgent();
      const none = await w.api('GET', '/global/agent2faBackupCode', agent.headers);
      assert.deepEqual(none.body, { exists: false, createdAt: null });
      const made = await w.api('POST', '/global/agent2faBackupCode:generate', agent.headers, { agentId: agent.id });
      const status = await w.api('GET', '/global/agent2faBackupCode', agent.headers);
      assert.equal(status.body.exists, true);
      assert.ok(Math.abs(Date.parse(status.body.createdAt) - Date.now()) < 60_000);
      assert.ok(!status.text.includes(made.body.code));
      const replaced = await w.api('PUT', '/global/agent2faBackupCode', agent.headers);
      assert.equal(replaced.status, 200);
      assert.match(replaced.body.code, CODE);
      assert.equal(await use(agent.id, made.body.code), false);
      const revoked = await w.api('DELETE', '/global/agent2faBackupCode', agent.headers);
      assert.deepEqual([revoked.status, revoked.body], [200, { result: 'success' }]);
      assert.equal(await use(agent.id, replaced.body.code), false);
      assert.equal((await w.api('DELETE', '/global/agent2faBackupCode', agent.headers)).status, 404);
    });

    test('v1 and v2 see one backup code: a v2 replacement spends the v1 code', async () => {
      const agent = await w.newAgent();
      const v1 = await w.api('POST', '/2fa/codes', agent.headers);
      assert.equal((await w.api('GET', '/global/agent2faBackupCode', agent.headers)).body.exists, true);
      const v2 = await w.api('PUT', '/global/agent2faBackupCode', agent.headers);
      assert.equal(await use(agent.id, v1.body.code), false);
      assert.equal(await use(agent.id, v2.body.code), true);
    });

    test('turning the TOTP off with no other factor left revokes the backup code, and so does an admin\'s reset', async () => {
      for (const by of ['self', 'admin'] as const) {
        const agent = await w.newAgent();
        await setUp2fa(w, agent);
        const { code } = (await w.api('POST', '/global/agent2faBackupCode:generate', agent.headers)).body;
        const removed = await w.api('DELETE', `/global/agent2faConfigs/${agent.id}`, by === 'self' ? agent.headers : w.admin);
        assert.equal(removed.status, 200, by);
        // (The removal also ended the agent's sessions, so the table is read directly.)
        const left = await w.server.runtime.storage.db.selectFrom('twofactor_backup_codes').select('account_id').where('account_id', '=', agent.id).execute();
        assert.deepEqual(left, [], by);
        assert.equal(await use(agent.id, code), false, `${by}: the old backup code no longer signs in`);
      }
    });

    test('a code is stored only as a hash', async () => {
      const agent = await w.newAgent();
      const { code } = (await w.api('POST', '/2fa/code', agent.headers)).body;
      const rows = await w.server.runtime.storage.db.selectFrom('twofactor_backup_codes').selectAll().execute();
      assert.ok(rows.length > 0);
      assert.ok(!JSON.stringify(rows).includes(code));
    });

    test('nobody but the agent, its partner\'s super agent or an admin generates its code', async () => {
      const agent = await w.newAgent();
      for (const intruder of [w.agentA1.headers, w.agentB.headers, w.superQ.headers]) {
        const res = await w.api('POST', `/global/agent2faBackupCodes:generate?agentId=${agent.id}`, intruder);
        assert.equal(res.status, 403);
        assert.equal((await w.api('GET', `/global/agent2faBackupCode?agentId=${agent.id}`, intruder)).status, 403);
      }
      assert.equal((await w.api('GET', `/global/agent2faBackupCode?agentId=${agent.id}`, w.superP.headers)).body.exists, false);
      assert.equal((await w.api('POST', `/global/agent2faBackupCodes:generate?agentId=${agent.id}`, w.admin)).status, 200);
      assert.equal((await w.api('POST', '/global/agent2faBackupCodes:generate?agentId=0', w.admin)).status, 400);
    });
  });
}
