import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type LoginWorld, startLoginWorld, totp, wrong } from './login-helpers.js';

const LOCK_SECONDS = 2;

for (const dialect of DIALECTS) {
  describe(`Comm100 endlogin errors, replay and lock (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let w: LoginWorld;
    let shortLived: LoginWorld;
    before(async () => {
      [w, shortLived] = await Promise.all([
        startLoginWorld(dialect, { GATEHOUSE_LOGIN_LOCK: String(LOCK_SECONDS) }),
        startLoginWorld(dialect, { GATEHOUSE_PRELOGIN_TTL: '1' }),
      ]);
    });
    after(async () => {
      await w?.server.close();
      await shortLived?.server.close();
    });

    async function verifyingAgent(world = w) {
      const agent = await world.agent(world.openSite);
      const secret = await world.enable2fa(agent.id);
      const start = async () => {
        const r = await world.login(world.openSite, agent.email);
        assert.equal(r.body.nextStep, 'isNeed2faVerify', r.text);
        return r.body.preLoginToken as string;
      };
      return { agent, secret, start };
    }

    it('a wrong code answers "code verify failed" counting retryRemainingNumber down, then "Number of retries exceeded"', async () => {
      const { secret, start } = await verifyingAgent();
      const token = await start();
      for (let remaining = 4; remaining >= 0; remaining--) {
        const r = await w.post('/global/endlogin', { preLoginToken: token, code: wrong(secret) });
        assert.equal(r.status, 400);
        assert.deepEqual(r.body, { error: 'code verify failed', message: 'code verify failed', retryRemainingNumber: String(remaining) });
      }
      const sixth = await w.post('/global/endlogin', { preLoginToken: token, code: totp(secret) });
      assert.equal(sixth.status, 400);
      assert.deepEqual(sixth.body, { error: 'Number of retries exceeded', message: 'Number of retries exceeded' });
      const fresh = await w.post('/global/endlogin', { preLoginToken: await start(), code: totp(secret) });
      assert.equal(fresh.status, 200, 'the right code was not spent by the refused try');
    });

    it('concurrent wrong codes cannot take more than 5 tries from one preLoginToken', async () => {
      const { secret, start } = await verifyingAgent();
      const token = await start();
      const answers = await Promise.all(Array.from({ length: 12 }, () => w.post('/global/endlogin', { preLoginToken: token, code: wrong(secret) })));
      assert.equal(answers.filter((r) => r.body.error === 'code verify failed').length, 5);
      assert.equal(answers.filter((r) => r.body.error === 'Number of retries exceeded').length, 7);
    });

    it('a preLoginToken older than its lifetime answers "Timeout"', async () => {
      const { secret, start } = await verifyingAgent(shortLived);
      const token = await start();
      await sleep(1100);
      const r = await shortLived.post('/global/endlogin', { preLoginToken: token, code: totp(secret) });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, { error: 'Timeout', message: 'Timeout' });
    });

    it('a code accepted once is refused when presented again', async () => {
      const { secret, start } = await verifyingAgent();
      const code = totp(secret);
      assert.equal((await w.post('/global/endlogin', { preLoginToken: await start(), code })).status, 200);
      const replay = await w.post('/global/endlogin', { preLoginToken: await start(), code });
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'code verify failed');
      assert.equal(replay.body.retryRemainingNumber, '4');
      const audit = await w.get('/global/auditEvents?event=verify_failure', w.admin);
      assert.ok(audit.body.some((e: { detail: { reason?: string } }) => e.detail.reason === 'replayed'));
    });

    it('10 consecutive failures lock the account (audited), a right code is refused while locked, and the lock lifts after its time', async () => {
      const { agent, secret, start } = await verifyingAgent();
      const answers: string[] = [];
      for (let t = 0; t < 2; t++) {
        const token = await start();
        for (let i = 0; i < 5; i++) answers.push((await w.post('/global/endlogin', { preLoginToken: token, code: wrong(secret) })).body.error);
      }
      assert.deepEqual(answers, [...Array(9).fill('code verify failed'), 'account locked']);
      const locked = await w.post('/global/endlogin', { preLoginToken: await start(), code: totp(secret) });
      assert.equal(locked.status, 400);
      assert.equal(locked.body.error, 'account locked');
      const until = Date.parse(locked.body.lockedUntil);
      assert.ok(until > Date.now() && until <= Date.now() + LOCK_SECONDS * 1000, locked.text);
      assert.equal(locked.body.message, `account locked until ${locked.body.lockedUntil}`);
      const v1Locked = await w.post('/loginapi/2fa:verify', { agentid: agent.id, code: totp(secret) }, w.admin);
      assert.equal(v1Locked.body.error, 'account locked', 'v1 sees the same lock');
      await sleep(LOCK_SECONDS * 1000 + 200);
      const unlocked = await w.post('/global/endlogin', { preLoginToken: await start(), code: totp(secret) });
      assert.equal(unlocked.status, 200, unlocked.text);
      const events = (await w.get(`/global/auditEvents?agentId=${agent.id}`, w.admin)).body.map((e: { event: string }) => e.event);
      assert.equal(events.filter((e: string) => e === 'lock').length, 1);
      assert.equal(events.filter((e: string) => e === 'unlock').length, 1);
      assert.equal(events.filter((e: string) => e === 'verify_failure').length, 10);
      assert.equal(events[0], 'verify_success');
    });

    it('a success ends the run of failures: 9 failures, a success, then 9 more do not lock', async () => {
      const { secret, start } = await verifyingAgent();
      const fail = async (n: number) => {
        let token = await start();
        for (let i = 0; i < n; i++) {
          if (i % 5 === 4) token = await start();
          await w.post('/global/endlogin', { preLoginToken: token, code: wrong(secret) });
        }
      };
      await fail(9);
      assert.equal((await w.post('/global/endlogin', { preLoginToken: await start(), code: totp(secret) })).status, 200);
      await fail(9);
      const ok = await w.post('/global/endlogin', { preLoginToken: await start(), code: totp(secret, 1) });
      assert.equal(ok.status, 200, ok.text);
    });

    it('a backup code works once at endlogin, and v1 and v2 share codes, backup codes and state', async () => {
      const { agent, secret, start } = await verifyingAgent();
      const backup = await w.post(`/global/agent2faBackupCode:generate?agentId=${agent.id}`, {}, w.admin);
      assert.equal(backup.status, 200, backup.text);
      const viaV1 = await w.post('/global/2fa:verify', { preLoginToken: await start(), code: backup.body.code });
      assert.equal(viaV1.body.result, 'success', viaV1.text);
      assert.ok(viaV1.body.jwtToken);
      const againV2 = await w.post('/global/endlogin', { preLoginToken: await start(), code: backup.body.code });
      assert.equal(againV2.body.error, 'code verify failed');

      const code = totp(secret);
      const v1 = await w.post('/loginapi/2fa:verify', { agentid: agent.id, code }, w.admin);
      assert.deepEqual(v1.body, { result: 'success' });
      const v2 = await w.post('/global/endlogin', { preLoginToken: await start(), code });
      assert.equal(v2.body.error, 'code verify failed', 'a code spent through v1 is spent for v2');
      const v1Fail = await w.post('/loginapi/2fa:verify', { preLoginToken: await start(), code: wrong(secret) });
      assert.deepEqual(v1Fail.body, { result: 'fail', retryRemainingNumber: '4' });
      const events = (await w.get(`/global/auditEvents?agentId=${agent.id}`, w.admin)).body.map((e: { event: string }) => e.event);
      assert.ok(events.includes('backup_code_used'));
      assert.ok(events.includes('backup_code_generated'));
    });

    it('v1 verify by agentid needs a credential that manages the agent', async () => {
      const { agent, secret } = await verifyingAgent();
      const anonymous = await w.post('/loginapi/2fa:verify', { agentid: agent.id, code: totp(secret) });
      assert.equal(anonymous.status, 401);
      const other = await w.agent(w.openSite);
      const otherJwt = (await w.server.runtime.core.credentials.signJwt(other.id)).token;
      const outsider = await w.post('/loginapi/2fa:verify', { agentid: agent.id, code: totp(secret) }, { authorization: `Bearer ${otherJwt}` });
      assert.equal(outsider.status, 403);
    });
  });
}
