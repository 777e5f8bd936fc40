import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type World, nowCode, setUp2fa, startWorld, wrongCode } from './twofactor-world.js';

for (const dialect of DIALECTS) {
  describe(`Comm100 super agent 2FA configs on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: World;
    before(async () => {
      w = await startWorld(dialect);
    });
    after(() => w.server.close());

    test('a super agent sets up its own 2FA through /partnerglobal and reads it back', async () => {
      const sa = await w.newSuperAgent();
      const secret = await w.api('GET', '/partnerglobal/2faSecret', sa.headers);
      assert.equal(secret.status, 200);
      assert.match(secret.body.otpauthUrl, /^otpauth:\/\/totp\/Partner%20P:superagent\d+%40example\.com\?secret=/);
      const { secretKey } = secret.body;
      const wrong = await w.api('POST', '/partnerglobal/superagent2faConfigs', sa.headers, { secretKey, code: wrongCode(secretKey) });
      assert.deepEqual([wrong.status, wrong.body.error], [400, 'code verify failed']);
      const created = await w.api('POST', '/partnerglobal/superagent2faConfigs', sa.headers, { secretKey, code: nowCode(secretKey) });
      assert.equal(created.status, 200);
      assert.equal(created.body.superagentid, String(sa.id));
      const again = await w.api('POST', '/partnerglobal/superagent2faConfigs', sa.headers, { secretKey, code: nowCode(secretKey) });
      assert.deepEqual(again.body, { error: 'secretKey have exited', message: 'secretKey have exited' });
      const got = await w.api('GET', `/partnerglobal/superagent2faConfigs/${sa.id}`, sa.headers);
      assert.deepEqual(got.body, created.body);
    });

    test('the partner list holds its super agents\' configs and no one else\'s', async () => {
      const sa = await w.newSuperAgent();
      await setUp2fa(w, sa, 'superagent');
      const agent = await w.newAgent();
      await setUp2fa(w, agent);
      const list = await w.api('GET', `/partnerglobal/superagent2faConfigs?partnerId=${w.partner}`, w.superP.headers);
      assert.equal(list.status, 200);
      const ids = list.body.map((c: { superagentid: string }) => Number(c.superagentid));
      assert.ok(ids.includes(sa.id));
      assert.ok(!ids.includes(agent.id));
      assert.equal((await w.api('GET', `/partnerglobal/superagent2faConfigs?partnerId=${w.partner}`, w.superQ.headers)).status, 403);
      assert.equal((await w.api('GET', `/partnerglobal/superagent2faConfigs?partnerId=${w.partner}`, w.agentA1.headers)).status, 403);
    });

    test('PUT replaces a super agent\'s secret with a proven new one; another partner cannot', async () => {
      const sa = await w.newSuperAgent();
      await setUp2fa(w, sa, 'superagent');
      const fresh = (await w.api('GET', '/partnerglobal/2faSecret', sa.headers)).body.secretKey;
      const foreign = await w.api('PUT', `/partnerglobal/superagent2faConfigs/${sa.id}`, w.superQ.headers, { secretKey: fresh, code: nowCode(fresh) });
      assert.equal(foreign.status, 403);
      const ok = await w.api('PUT', `/partnerglobal/superagent2faConfigs/${sa.id}`, sa.headers, { secretKey: fresh, code: nowCode(fresh) });
      assert.equal(ok.status, 200);
      const del = await w.api('DELETE', `/partnerglobal/superagent2faConfigs/${sa.id}`, w.admin);
      assert.equal(del.status, 200);
      assert.equal((await w.api('GET', `/partnerglobal/superagent2faConfigs/${sa.id}`, sa.headers)).status, 404);
    });

    test('an agent is not a super agent: the partner endpoints refuse it by name', async () => {
      const secretKey = (await w.api('GET', '/global/2faSecret', w.agentA2.headers)).body.secretKey;
      const res = await w.api('POST', '/partnerglobal/superagent2faConfigs', w.agentA2.headers, { secretKey, code: nowCode(secretKey) });
      assert.equal(res.status, 400);
      assert.match(res.body.message, /is not a super agent/);
    });
  });
}
