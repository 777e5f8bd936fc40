import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { bearer } from '../../helpers/server.js';
import { type LoginWorld, PASSWORD, startLoginWorld, totp } from './login-helpers.js';

for (const dialect of DIALECTS) {
  describe(`Comm100 trusted devices and cookies (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let w: LoginWorld;
    before(async () => {
      w = await startLoginWorld(dialect);
    });
    after(() => w?.server.close());

    async function trustedLogin(site: number) {
      const agent = await w.agent(site);
      const secret = await w.enable2fa(agent.id);
      const r = await w.login(site, agent.email);
      assert.equal(r.body.nextStep, 'isNeed2faVerify');
      const done = await w.post('/global/endlogin', { preLoginToken: r.body.preLoginToken, code: totp(secret), isSetCookie: true, isSKip2fa: true });
      assert.equal(done.status, 200, done.text);
      return { agent, secret, done };
    }

    it('under 2FARequirement 1, isSKip2fa answers a Verifiedtoken and isSetCookie sets both as HttpOnly; Secure; SameSite=Lax cookies', async () => {
      const { done } = await trustedLogin(w.trustSite);
      assert.match(done.body.Verifiedtoken, /^ghv_/);
      const cookies = done.headers.getSetCookie();
      const jwt = cookies.find((c) => c.startsWith('jwtToken='));
      const verified = cookies.find((c) => c.startsWith('Verifiedtoken='));
      for (const cookie of [jwt, verified]) {
        assert.ok(cookie, `cookies: ${cookies.join(' | ')}`);
        assert.match(cookie, /; HttpOnly/);
        assert.match(cookie, /; Secure/);
        assert.match(cookie, /; SameSite=Lax/);
        assert.match(cookie, /; Path=\//);
      }
      assert.ok(jwt!.startsWith(`jwtToken=${done.body.jwtToken};`));
      assert.ok(verified!.startsWith(`Verifiedtoken=${done.body.Verifiedtoken};`));
      assert.match(verified!, /Max-Age=1209600/, '14 days');
    });

    it('no password, code, preLoginToken, jwtToken or Verifiedtoken reaches the log', async () => {
      const agent = await w.agent(w.trustSite);
      const secret = await w.enable2fa(agent.id);
      const r = await w.login(w.trustSite, agent.email);
      const code = totp(secret);
      const done = await w.post('/global/endlogin', { preLoginToken: r.body.preLoginToken, code, isSetCookie: true, isSKip2fa: true });
      assert.equal(done.status, 200);
      await w.login(w.trustSite, agent.email, {}, { cookie: `Verifiedtoken=${done.body.Verifiedtoken}` });
      const logs = w.server.logs.join('');
      assert.ok(logs.includes('/global/endlogin'), 'the requests were logged');
      // A logged code would be a quoted JSON string; bare, six digits could match a timestamp.
      for (const secretText of [PASSWORD, `"${code}"`, secret, r.body.preLoginToken, done.body.jwtToken, done.body.Verifiedtoken]) {
        assert.ok(!logs.includes(secretText), `the log holds ${secretText.slice(0, 6)}…`);
      }
    });

    it('the login endpoints are in the OpenAPI document', async () => {
      const doc = (await w.get('/openapi.json')).body;
      for (const path of ['/global/jwtToken/login', '/global/endlogin', '/partnerloginapi/endlogin', '/loginapi/2fa:verify', '/global/trustedDevices', '/global/auditEvents']) {
        assert.ok(doc.paths[path], `${path} is documented`);
      }
    });

    it('without isSetCookie no cookie is set', async () => {
      const agent = await w.agent(w.trustSite);
      const secret = await w.enable2fa(agent.id);
      const r = await w.login(w.trustSite, agent.email);
      const done = await w.post('/global/endlogin', { preLoginToken: r.body.preLoginToken, code: totp(secret), isSKip2fa: true });
      assert.equal(done.headers.getSetCookie().length, 0);
      assert.ok(done.body.Verifiedtoken);
    });

    it('the Verifiedtoken skips 2FA for its own account only, from the body or the cookie', async () => {
      const { agent, done } = await trustedLogin(w.trustSite);
      const viaBody = await w.login(w.trustSite, agent.email, { Verifiedtoken: done.body.Verifiedtoken });
      assert.equal(viaBody.body.nextStep, 'noNeed');
      assert.ok(viaBody.body.jwtToken);
      const viaCookie = await w.login(w.trustSite, agent.email, {}, { cookie: `Verifiedtoken=${done.body.Verifiedtoken}` });
      assert.equal(viaCookie.body.nextStep, 'noNeed');
      const other = await w.agent(w.trustSite);
      await w.enable2fa(other.id);
      const borrowed = await w.login(w.trustSite, other.email, { Verifiedtoken: done.body.Verifiedtoken });
      assert.equal(borrowed.body.nextStep, 'isNeed2faVerify');
    });

    it('under 2FARequirement 0 no Verifiedtoken is issued and none skips 2FA', async () => {
      const { agent, done } = await trustedLogin(w.strictSite);
      assert.equal(done.body.Verifiedtoken, undefined);
      assert.equal(done.headers.getSetCookie().filter((c) => c.startsWith('Verifiedtoken=')).length, 0);
      const r = await w.login(w.strictSite, agent.email);
      assert.equal(r.body.isShowSkip2fa, false);
      assert.equal(r.body.nextStep, 'isNeed2faVerify');
    });

    it('an agent lists and revokes its own devices; the token is never listed and stops working; both are audited', async () => {
      const { agent, done } = await trustedLogin(w.trustSite);
      const me = bearer(done.body.jwtToken);
      const list = await w.get('/global/trustedDevices', me);
      assert.equal(list.status, 200);
      assert.equal(list.body.length, 1);
      assert.equal(list.body[0].agentId, agent.id);
      assert.ok(!list.text.includes(done.body.Verifiedtoken));
      const del = await fetch(`${w.server.url}/global/trustedDevices/${list.body[0].id}`, { method: 'DELETE', headers: me });
      assert.equal(del.status, 200);
      assert.deepEqual((await w.get('/global/trustedDevices', me)).body, []);
      const r = await w.login(w.trustSite, agent.email, { Verifiedtoken: done.body.Verifiedtoken });
      assert.equal(r.body.nextStep, 'isNeed2faVerify');
      const events = (await w.get(`/global/auditEvents?agentId=${agent.id}`, w.admin)).body.map((e: { event: string }) => e.event);
      assert.ok(events.includes('trusted_device_issued'));
      assert.ok(events.includes('trusted_device_revoked'));
    });

    it('a super agent revokes the devices of its partner\'s agents; another agent may not list or revoke them', async () => {
      const { agent, done } = await trustedLogin(w.trustSite);
      const outsider = await w.agent(w.trustSite);
      const outsiderJwt = bearer((await w.server.runtime.core.credentials.signJwt(outsider.id)).token);
      assert.equal((await w.get(`/global/trustedDevices?agentId=${agent.id}`, outsiderJwt)).status, 403);
      const id = (await w.get('/global/trustedDevices', bearer(done.body.jwtToken))).body[0].id;
      const stolen = await fetch(`${w.server.url}/global/trustedDevices/${id}`, { method: 'DELETE', headers: outsiderJwt });
      assert.equal(stolen.status, 403);
      const sa = await w.superAgent();
      const saJwt = bearer((await w.server.runtime.core.credentials.signJwt(sa.id)).token);
      const all = await fetch(`${w.server.url}/global/trustedDevices?agentId=${agent.id}`, { method: 'DELETE', headers: saJwt });
      assert.deepEqual(await all.json(), { result: 'success', count: 1 });
      const r = await w.login(w.trustSite, agent.email, { Verifiedtoken: done.body.Verifiedtoken });
      assert.equal(r.body.nextStep, 'isNeed2faVerify');
    });
  });
}
