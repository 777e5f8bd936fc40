import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { bearer } from '../../helpers/server.js';
import { type LoginWorld, PASSWORD, startLoginWorld, totp, wrong } from './login-helpers.js';

for (const dialect of DIALECTS) {
  describe(`Comm100 login: nextStep (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let w: LoginWorld;
    before(async () => {
      w = await startLoginWorld(dialect);
    });
    after(() => w?.server.close());

    it('an agent without 2FA in a site without a policy gets noNeed and a working jwtToken', async () => {
      const agent = await w.agent(w.openSite);
      const r = await w.login(w.openSite, agent.email);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.nextStep, 'noNeed');
      assert.equal(r.body.isShowSkip2fa, false);
      assert.equal(r.body.preLoginToken, undefined);
      assert.equal(r.body.agentId, String(agent.id));
      assert.equal(r.body.siteId, w.openSite);
      assert.equal(r.body.partnerId, w.partner);
      const me = await w.get('/global/trustedDevices', bearer(r.body.jwtToken));
      assert.equal(me.status, 200, me.text);
      assert.deepEqual(me.body, []);
    });

    it('a wrong password and an unknown email get the same answer; the wrong password is audited', async () => {
      const agent = await w.agent(w.openSite);
      const badPassword = await w.post('/global/jwtToken/login', { partnerId: w.partner, siteId: w.openSite, email: agent.email, password: 'not the password' });
      const noSuchEmail = await w.post('/global/jwtToken/login', { partnerId: w.partner, siteId: w.openSite, email: 'nobody@example.com', password: PASSWORD });
      const wrongSite = await w.login(w.trustSite, agent.email);
      assert.equal(badPassword.status, 401);
      assert.deepEqual(noSuchEmail.body, badPassword.body);
      assert.deepEqual(wrongSite.body, badPassword.body);
      assert.deepEqual(badPassword.body, { error: 'unauthorized', message: 'email or password is incorrect' });
      const audit = await w.get(`/global/auditEvents?agentId=${agent.id}`, w.admin);
      assert.deepEqual(audit.body.map((e: { event: string }) => e.event), ['login_password_failure']);
      assert.ok(!audit.text.includes('not the password'));
    });

    it('an agent without 2FA in a site that requires it gets isNeed2faSetup, and endlogin with the secret saves it', async () => {
      const agent = await w.agent(w.trustSite);
      const r = await w.login(w.trustSite, agent.email);
      assert.equal(r.body.nextStep, 'isNeed2faSetup');
      assert.equal(r.body.isShowSkip2fa, true);
      assert.match(r.body.secretKey, /^[A-Z2-7]{32}$/);
      assert.match(r.body.otpauthUrl, /^otpauth:\/\/totp\//);
      assert.equal(r.body.jwtToken, '', 'no JWT before the second factor');
      const noSecret = await w.post('/global/endlogin', { preLoginToken: r.body.preLoginToken, code: totp(r.body.secretKey) });
      assert.equal(noSecret.status, 400);
      assert.equal(noSecret.body.error, 'invalid parameter');
      assert.match(noSecret.body.message, /secretKey/);
      const done = await w.post('/global/endlogin', { preLoginToken: r.body.preLoginToken, secretKey: r.body.secretKey, code: totp(r.body.secretKey) });
      assert.equal(done.status, 200, done.text);
      assert.ok(done.body.jwtToken);
      const config = await w.get(`/global/agent2faConfigs/${agent.id}`, w.admin);
      assert.equal(config.status, 200);
      const next = await w.login(w.trustSite, agent.email);
      assert.equal(next.body.nextStep, 'isNeed2faVerify');
      const audit = await w.get(`/global/auditEvents?agentId=${agent.id}`, w.admin);
      assert.deepEqual(audit.body.map((e: { event: string }) => e.event).sort(), ['setup', 'verify_success']);
    });

    it('an agent with 2FA gets isNeed2faVerify (also in a site without a policy) and endlogin answers a jwtToken', async () => {
      const agent = await w.agent(w.openSite);
      const secret = await w.enable2fa(agent.id);
      const r = await w.login(w.openSite, agent.email);
      assert.equal(r.body.nextStep, 'isNeed2faVerify');
      assert.equal(r.body.isShowSkip2fa, false);
      assert.equal(r.body.secretKey, undefined);
      const done = await w.post('/global/endlogin', { preLoginToken: r.body.preLoginToken, code: totp(secret), isSetCookie: false, isSKip2fa: false });
      assert.equal(done.status, 200, done.text);
      assert.equal(done.body.Verifiedtoken, undefined);
      assert.equal((await w.get('/global/trustedDevices', bearer(done.body.jwtToken))).status, 200);
      const again = await w.post('/global/endlogin', { preLoginToken: r.body.preLoginToken, code: totp(secret, 1) });
      assert.equal(again.status, 401, 'a spent preLoginToken is no longer valid');
    });

    it('a super agent logs in with the partner only, and /partnerloginapi/endlogin completes it', async () => {
      const sa = await w.superAgent();
      const secret = await w.enable2fa(sa.id);
      const r = await w.login(undefined, sa.email);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.nextStep, 'isNeed2faVerify');
      assert.equal(r.body.superAgentId, String(sa.id));
      const done = await w.post('/partnerloginapi/endlogin', { preLoginToken: r.body.preLoginToken, code: totp(secret) });
      assert.equal(done.status, 200, done.text);
    });

    it('bad input answers 400 in the Comm100 envelope naming the field', async () => {
      const noPartner = await w.post('/global/jwtToken/login', { email: 'a@example.com', password: 'x' });
      assert.equal(noPartner.status, 400);
      assert.match(noPartner.body.message, /partnerId/);
      const noCode = await w.post('/global/endlogin', { preLoginToken: 'ghp_x' });
      assert.equal(noCode.status, 400);
      assert.match(noCode.body.message, /code/);
      const unknown = await w.post('/global/endlogin', { preLoginToken: 'ghp_nope', code: '123456' });
      assert.equal(unknown.status, 401);
      assert.deepEqual(Object.keys(unknown.body).sort(), ['error', 'message']);
    });
  });
}
