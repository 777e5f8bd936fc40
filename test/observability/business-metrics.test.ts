/**
 * The business metrics, each driven through the faces and read back from /metrics: sign-ins by outcome
 * and factor, codes sent by channel and calling code and verified by channel, locks, TOTP and backup
 * codes used. Counts are per process (the runtime's), so each server here starts from zero.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callingCode } from '../../src/core/verifications/calling-code.js';
import { call } from '../helpers/server.js';
import { DIALECTS, skipDialect } from '../helpers/services.js';
import { type LoginWorld, startLoginWorld, totp, wrong } from '../faces/comm100/login-helpers.js';
import { client, codeSentTo } from '../faces/smart2fa/helpers.js';

/** The value of one series of /metrics, 0 when it is absent. */
async function metric(w: LoginWorld, series: string): Promise<number> {
  const text = (await call(`${w.server.url}/metrics`)).text;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

for (const dialect of DIALECTS) {
  describe(`business metrics on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: LoginWorld;
    before(async () => {
      w = await startLoginWorld(dialect);
    });
    after(async () => {
      await w?.server.close();
    });

    it('counts codes sent by channel and calling code, and codes verified by channel', async () => {
      const c = client(w.server);
      const uk = '+447712345678';
      const sent = await c.send({ to: uk });
      assert.equal(sent.status, 200, sent.text);
      const email = await c.send({ channel: 'email', to: 'someone@example.com', from: 'codes@example.com', subject: 'Your code' });
      assert.equal(email.status, 200, email.text);
      assert.equal(await metric(w, 'gatehouse_codes_sent_total{channel="sms",country="44"}'), 1);
      assert.equal(await metric(w, 'gatehouse_codes_sent_total{channel="email",country="none"}'), 1);
      const code = await codeSentTo(w.server, uk);
      const other = String((Number(code) + 1) % 10 ** code.length).padStart(code.length, '0');
      const wrongCode = await c.post('/2fa/verify', { requestId: sent.body.requestID, code: other });
      assert.notEqual(wrongCode.status, 200);
      assert.equal(await metric(w, 'gatehouse_codes_verified_total{channel="sms"}'), 0, 'a wrong code is not counted');
      const verified = await c.post('/2fa/verify', { requestId: sent.body.requestID, code });
      assert.equal(verified.status, 200, verified.text);
      assert.equal(await metric(w, 'gatehouse_codes_verified_total{channel="sms"}'), 1);
    });

    it('counts password sign-ins by outcome, then TOTP and backup-code steps, TOTP uses and backup codes spent', async () => {
      const open = await w.agent(w.openSite);
      assert.equal((await w.login(w.openSite, open.email)).body.nextStep, 'noNeed');
      assert.equal((await w.login(w.openSite, open.email, { password: 'not the password' })).status, 401);
      assert.equal(await metric(w, 'gatehouse_signins_total{outcome="success",factor="password"}'), 1);
      assert.equal(await metric(w, 'gatehouse_signins_total{outcome="failure",factor="password"}'), 1);

      const agent = await w.agent(w.openSite);
      const secret = await w.enable2fa(agent.id);
      const token = async () => (await w.login(w.openSite, agent.email)).body.preLoginToken as string;
      assert.equal((await w.post('/global/endlogin', { preLoginToken: await token(), code: wrong(secret) })).status, 400);
      assert.equal((await w.post('/global/endlogin', { preLoginToken: await token(), code: totp(secret) })).status, 200);
      assert.equal(await metric(w, 'gatehouse_signins_total{outcome="failure",factor="totp"}'), 1);
      assert.equal(await metric(w, 'gatehouse_signins_total{outcome="success",factor="totp"}'), 1);
      assert.equal(await metric(w, 'gatehouse_totp_used_total'), 1);

      const generated = await w.post(`/global/agent2faBackupCodes:generate?agentId=${agent.id}`, {}, w.admin);
      assert.equal(generated.status, 200, generated.text);
      assert.equal((await w.post('/global/endlogin', { preLoginToken: await token(), code: generated.body.code })).status, 200);
      assert.equal(await metric(w, 'gatehouse_signins_total{outcome="success",factor="backup_code"}'), 1);
      assert.equal(await metric(w, 'gatehouse_backup_codes_used_total'), 1);
    });

    it('counts a lock once, and the sign-ins refused while it holds', async () => {
      const agent = await w.agent(w.openSite);
      const secret = await w.enable2fa(agent.id);
      assert.equal(await metric(w, 'gatehouse_login_locks_total'), 0);
      for (let t = 0; t < 2; t++) {
        const token = (await w.login(w.openSite, agent.email)).body.preLoginToken as string;
        for (let i = 0; i < 5; i++) await w.post('/global/endlogin', { preLoginToken: token, code: wrong(secret) });
      }
      assert.equal(await metric(w, 'gatehouse_login_locks_total'), 1);
      const token = (await w.login(w.openSite, agent.email)).body.preLoginToken as string;
      assert.equal((await w.post('/global/endlogin', { preLoginToken: token, code: totp(secret) })).body.error, 'account locked');
      assert.equal(await metric(w, 'gatehouse_signins_total{outcome="locked",factor="totp"}'), 1);
    });

    it('counts a password try refused by its rate limit', async () => {
      const limited = await startLoginWorld(dialect, { GATEHOUSE_LOGIN_RATE_ACCOUNT: '1/600' });
      try {
        const agent = await limited.agent(limited.openSite);
        assert.equal((await limited.login(limited.openSite, agent.email)).status, 200);
        const refused = await limited.login(limited.openSite, agent.email);
        assert.notEqual(refused.status, 200, refused.text);
        assert.equal(await metric(limited, 'gatehouse_signins_total{outcome="rate_limited",factor="password"}'), 1);
        assert.equal(await metric(limited, 'gatehouse_signins_total{outcome="success",factor="password"}'), 1);
      } finally {
        await limited.server.close();
      }
    });
  });
}

it('a number\'s calling code is read without a table of countries', () => {
  assert.deepEqual(
    ['+14155550100', '+79161234567', '+447712345678', '+919960639903', '+353861234567', '+420601123456', '+8613800138000', '+85291234567', 'someone@example.com'].map(callingCode),
    ['1', '7', '44', '91', '353', '420', '86', '852', 'unknown'],
  );
});
