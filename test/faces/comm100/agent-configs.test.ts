import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { timeStep } from '../../../src/core/totp/otp.js';
import type { TwoFactorEvent } from '../../../src/core/twofactor/twofactor.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type World, codeAt, nowCode, setUp2fa, startWorld, wrongCode } from './twofactor-world.js';

for (const dialect of DIALECTS) {
  describe(`Comm100 agent 2FA configs on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: World;
    before(async () => {
      w = await startWorld(dialect);
    });
    after(() => w.server.close());

    test('GET /global/2faSecret gives a fresh secret, its otpauth URL and a QR code, and stores nothing', async () => {
      const res = await w.api('GET', '/global/2faSecret', w.agentA1.headers);
      assert.equal(res.status, 200);
      assert.match(res.body.secretKey, /^[A-Z2-7]{32}$/);
      assert.equal(res.body.otpauthUrl, `otpauth://totp/Site%20A:${encodeURIComponent(w.agentA1.email)}?secret=${res.body.secretKey}&issuer=Site%20A&algorithm=SHA1&digits=6&period=30`);
      assert.match(res.body.qrcodeUrl, /^data:image\/png;base64,/);
      const again = await w.api('GET', '/global/2faSecret', w.agentA1.headers);
      assert.notEqual(again.body.secretKey, res.body.secretKey);
      assert.equal((await w.api('GET', `/global/agent2faConfigs/${w.agentA1.id}`, w.agentA1.headers)).status, 404);
    });

    test('POST /global/agent2faConfigs refuses a wrong code with "code verify failed" and stores nothing', async () => {
      const agent = await w.newAgent();
      const { secretKey } = (await w.api('GET', '/global/2faSecret', agent.headers)).body;
      const res = await w.api('POST', '/global/agent2faConfigs', agent.headers, { secretKey, code: wrongCode(secretKey) });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { error: 'code verify failed', message: 'code verify failed' });
      assert.equal((await w.api('GET', `/global/agent2faConfigs/${agent.id}`, agent.headers)).status, 404);
    });

    test('POST /global/agent2faConfigs creates the config once; a second one answers "secretKey have exited"', async () => {
      const agent = await w.newAgent();
      const secretKey = await setUp2fa(w, agent);
      const got = await w.api('GET', `/global/agent2faConfigs/${agent.id}`, agent.headers);
      assert.equal(got.status, 200);
      assert.equal(got.body.agentId, String(agent.id));
      assert.match(got.body.id, /^\d+$/);
      assert.ok(!JSON.stringify(got.body).includes(secretKey), 'the secret is never answered again');
      const other = (await w.api('GET', '/global/2faSecret', agent.headers)).body.secretKey;
      const res = await w.api('POST', '/global/agent2faConfigs', agent.headers, { secretKey: other, code: nowCode(other) });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { error: 'secretKey have exited', message: 'secretKey have exited' });
      assert.equal(await w.server.runtime.core.twoFactor.verifyTotp(agent.id, codeAt(secretKey, timeStep(Date.now()) + 1)), 'ok', 'the first secret still stands');
    });

    test('PUT /global/agent2faConfigs/{agentId} swaps the secret only with a code from the new one', async () => {
      const agent = await w.newAgent();
      const old = await setUp2fa(w, agent);
      const fresh = (await w.api('GET', '/global/2faSecret', agent.headers)).body.secretKey;
      const bad = await w.api('PUT', `/global/agent2faConfigs/${agent.id}`, agent.headers, { secretKey: fresh, code: nowCode(old) === nowCode(fresh) ? wrongCode(fresh) : nowCode(old) });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error, 'code verify failed');
      const ok = await w.api('PUT', `/global/agent2faConfigs/${agent.id}`, agent.headers, { secretKey: fresh, code: nowCode(fresh) });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.agentId, String(agent.id));
      const next = timeStep(Date.now()) + 1;
      assert.equal(await w.server.runtime.core.twoFactor.verifyTotp(agent.id, codeAt(old, next)), 'invalid', 'the old secret no longer works');
      assert.equal(await w.server.runtime.core.twoFactor.verifyTotp(agent.id, codeAt(fresh, next)), 'ok');
    });

    test('PUT for an agent without a config answers 404 and creates nothing', async () => {
      const agent = await w.newAgent();
      const { secretKey } = (await w.api('GET', '/global/2faSecret', agent.headers)).body;
      const res = await w.api('PUT', `/global/agent2faConfigs/${agent.id}`, agent.headers, { secretKey, code: nowCode(secretKey) });
      assert.equal(res.status, 404);
      assert.equal(res.body.error, 'not found');
      assert.equal(await w.server.runtime.core.twoFactor.getConfig(agent.id), undefined);
    });

    test('GET /global/agent2faConfigs lists a site\'s configs for its super agent and only its own for an agent', async () => {
      const one = await w.newAgent();
      const two = await w.newAgent();
      await setUp2fa(w, one);
      await setUp2fa(w, two);
      const bySuper = await w.api('GET', `/global/agent2faConfigs?siteId=${w.siteA}`, w.superP.headers);
      assert.equal(bySuper.status, 200);
      const ids = bySuper.body.map((c: { agentId: string }) => Number(c.agentId));
      assert.ok(ids.includes(one.id) && ids.includes(two.id));
      const byAgent = await w.api('GET', '/global/agent2faConfigs', one.headers);
      assert.deepEqual(byAgent.body.map((c: { agentId: string }) => c.agentId), [String(one.id)]);
      const byAdmin = await w.api('GET', `/global/agent2faConfigs?siteId=${w.siteA}`, w.admin);
      assert.equal(byAdmin.body.length, bySuper.body.length);
      assert.equal((await w.api('GET', `/global/agent2faConfigs?siteId=${w.siteA}`, w.superQ.headers)).status, 403);
      assert.equal((await w.api('GET', `/global/agent2faConfigs?siteId=${w.siteB}`, one.headers)).status, 403);
    });

    test('an agent manages only itself; its partner\'s super agent and an admin manage it; nobody else does', async () => {
      const agent = await w.newAgent();
      const secretKey = (await w.api('GET', `/global/2faSecret?agentId=${agent.id}`, w.superP.headers)).body.secretKey;
      for (const intruder of [w.agentA1.headers, w.agentB.headers, w.agentC.headers, w.superQ.headers]) {
        const res = await w.api('POST', '/global/agent2faConfigs', intruder, { agentId: agent.id, secretKey, code: nowCode(secretKey) });
        assert.equal(res.status, 403);
        assert.equal(res.body.error, 'forbidden');
        assert.equal((await w.api('GET', `/global/2faSecret?agentId=${agent.id}`, intruder)).status, 403);
      }
      assert.equal(await w.server.runtime.core.twoFactor.getConfig(agent.id), undefined);
      const bySuper = await w.api('POST', '/global/agent2faConfigs', w.superP.headers, { agentId: agent.id, secretKey, code: nowCode(secretKey) });
      assert.equal(bySuper.status, 200);
      assert.equal((await w.api('GET', `/global/agent2faConfigs/${agent.id}`, w.admin)).status, 200);
      assert.equal((await w.api('GET', `/global/agent2faConfigs/${agent.id}`, w.agentA1.headers)).status, 403);
      assert.equal((await w.api('DELETE', `/global/agent2faConfigs/${agent.id}`, w.agentC.headers)).status, 403);
      const deleted = await w.api('DELETE', `/global/agent2faConfigs/${agent.id}`, w.admin);
      assert.deepEqual([deleted.status, deleted.body], [200, { result: 'success' }]);
      assert.equal((await w.api('GET', `/global/agent2faConfigs/${agent.id}`, w.admin)).status, 404);
      assert.equal((await w.api('GET', `/global/agent2faConfigs/${agent.id}`, agent.headers)).status, 401, 'the reset revoked the agent\'s JWT');
    });

    test('bad input answers 400 in the Comm100 envelope naming the field, and no credentials 401', async () => {
      const cases: Array<[string, string, unknown, RegExp]> = [
        ['POST', '/global/agent2faConfigs', { code: '123456' }, /^secretKey/],
        ['POST', '/global/agent2faConfigs', { secretKey: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }, /^code/],
        ['POST', '/global/agent2faConfigs', { secretKey: 'not base32 at all!', code: '123456' }, /^secretKey/],
        ['POST', '/global/agent2faConfigs', { secretKey: 'JBSWY3DP', code: '123456' }, /^secretKey/],
        ['POST', '/global/agent2faConfigs', { secretKey: 'A'.repeat(5000), code: '123456' }, /^secretKey/],
        ['GET', '/global/agent2faConfigs/abc', undefined, /^agentId/],
        ['GET', '/global/agent2faConfigs?siteId=x', undefined, /^siteId/],
      ];
      for (const [method, path, json, message] of cases) {
        const res = await w.api(method, path, w.agentA1.headers, json);
        assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(json)}`);
        assert.equal(res.body.error, 'invalid parameter');
        assert.match(res.body.message, message);
        assert.deepEqual(Object.keys(res.body).sort(), ['error', 'message']);
      }
      const url = `${w.server.url}/global/agent2faConfigs`;
      const broken = await fetch(url, { method: 'POST', headers: { ...w.agentA1.headers, 'content-type': 'application/json' }, body: '{"secretKey":' });
      assert.equal(broken.status, 400);
      assert.deepEqual(await broken.json(), { error: 'invalid parameter', message: 'body: is not valid JSON' });
      const text = await fetch(url, { method: 'POST', headers: { ...w.agentA1.headers, 'content-type': 'text/plain' }, body: 'hello' });
      assert.equal(text.status, 415);
      assert.equal(((await text.json()) as { error: string }).error, 'unsupported media type');
      const anonymous = await w.api('GET', '/global/2faSecret', {});
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.error, 'unauthorized');
      const forged = await w.api('GET', '/global/2faSecret', { authorization: 'Bearer not.a.jwt' });
      assert.equal(forged.status, 401);
    });

    test('each change is announced to onEvent listeners with the actor and the client address', async () => {
      const events: TwoFactorEvent[] = [];
      w.server.runtime.core.twoFactor.onEvent((e) => void events.push(e));
      const agent = await w.newAgent();
      await setUp2fa(w, agent);
      await w.api('POST', `/global/agent2faBackupCodes:generate?agentId=${agent.id}`, w.superP.headers);
      await w.api('DELETE', `/global/agent2faConfigs/${agent.id}`, w.admin);
      const mine = events.filter((e) => e.accountId === agent.id);
      // The reset took the backup code too (a code for factors that are gone), and says so.
      assert.deepEqual(mine.map((e) => e.type), ['setup', 'backup_code_generated', 'removal', 'backup_code_revoked']);
      const adminAccount = (await w.server.runtime.core.credentials.authenticateApiKey(w.server.admin.apiKey)).accountId;
      assert.deepEqual(mine.map((e) => e.actorAccountId), [agent.id, w.superP.id, adminAccount, adminAccount]);
      for (const e of mine) {
        assert.equal(e.ip, '127.0.0.1');
        assert.equal(e.tenantId, w.siteA);
      }
      const failed = await w.api('POST', '/global/agent2faConfigs', w.superP.headers, { agentId: agent.id, secretKey: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', code: '000000' });
      assert.equal(failed.status, 400);
      assert.equal(events.filter((e) => e.accountId === agent.id).length, 4, 'a refused change announces nothing');
    });

    test('no secret, code or backup code reaches the log', async () => {
      const agent = await w.newAgent();
      const { secretKey } = (await w.api('GET', '/global/2faSecret', agent.headers)).body;
      const code = nowCode(secretKey);
      await w.api('POST', '/global/agent2faConfigs', agent.headers, { secretKey, code });
      await w.api('POST', '/2fa/code:verify', agent.headers, { secretKey, code });
      const backup = (await w.api('POST', `/2fa/codes?agentId=${agent.id}`, agent.headers)).body.code;
      await w.api('POST', '/global/agent2faConfigs', agent.headers, { secretKey: 'x'.repeat(300), code: 'y'.repeat(70) });
      const logs = w.server.logs.join('');
      assert.ok(logs.includes('/global/agent2faConfigs'), 'the requests were logged');
      // A bare 6-digit code could occur inside a timestamp; quoted, it would be a value.
      for (const secret of [secretKey, `"${code}"`, backup, 'x'.repeat(300)]) assert.ok(!logs.includes(secret));
    });

    test('an agent id given to a super agent endpoint, or a super agent to an agent one, is refused', async () => {
      const res = await w.api('GET', `/partnerglobal/2faSecret?superAgentId=${w.agentA1.id}`, w.admin);
      assert.equal(res.status, 400);
      assert.match(res.body.message, /is not a super agent/);
      const back = await w.api('GET', `/global/2faSecret?agentId=${w.superP.id}`, w.admin);
      assert.equal(back.status, 400);
      assert.match(back.body.message, /is not an agent/);
    });
  });
}
