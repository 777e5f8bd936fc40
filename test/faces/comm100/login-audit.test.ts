import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { basic, bearer } from '../../helpers/server.js';
import { type LoginWorld, startLoginWorld, totp, wrong } from './login-helpers.js';

for (const dialect of DIALECTS) {
  describe(`Comm100 audit trail over HTTP (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let w: LoginWorld;
    let agentId: number;
    let otherPartnerAuth: Record<string, string>;
    let partnerAuth: Record<string, string>;
    before(async () => {
      w = await startLoginWorld(dialect);
      const core = w.server.runtime.core;
      const agent = await w.agent(w.openSite);
      agentId = agent.id;
      const secret = await w.enable2fa(agent.id);
      const token = (await w.login(w.openSite, agent.email)).body.preLoginToken;
      await w.post('/global/endlogin', { preLoginToken: token, code: wrong(secret) }, { 'x-forwarded-for': '203.0.113.9' });
      await w.post('/global/endlogin', { preLoginToken: token, code: totp(secret) });
      const partner = await core.tenants.find(w.partner);
      partnerAuth = basic(partner!.sid, (await core.tenants.addAuthToken({ tenantId: partner!.id, tenantSid: partner!.sid, tenantPath: partner!.path, accountId: null, role: 'admin', via: 'api_key' }, partner!.id)).authToken);
      const other = await core.tenants.create(null, { name: 'Other partner' });
      otherPartnerAuth = basic(other.tenant.sid, other.authToken);
    });
    after(() => w?.server.close());

    it('records verification failure and success with the client address, no code, newest first', async () => {
      const r = await w.get(`/global/auditEvents?agentId=${agentId}`, w.admin);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.map((e: { event: string }) => e.event), ['verify_success', 'verify_failure']);
      assert.equal(r.body[1].detail.method, 'totp');
      assert.equal(r.body[1].detail.reason, 'invalid');
      assert.equal(r.body[1].tenantId, w.openSite);
      assert.match(r.body[1].clientAddress, /^(127\.0\.0\.1|::ffff:127\.0\.0\.1|::1)$/, 'X-Forwarded-For is not trusted by default');
      assert.ok(Date.parse(r.body[0].time) > Date.now() - 60_000);
    });

    it('a partner reads its sites\' events; another partner reads none of them and may not name the site', async () => {
      const mine = await w.get(`/global/auditEvents?siteId=${w.openSite}&event=verify_success`, partnerAuth);
      assert.equal(mine.status, 200, mine.text);
      assert.ok(mine.body.some((e: { agentId: number }) => e.agentId === agentId));
      const theirs = await w.get('/global/auditEvents', otherPartnerAuth);
      assert.equal(theirs.status, 200);
      assert.deepEqual(theirs.body, []);
      assert.equal((await w.get(`/global/auditEvents?siteId=${w.openSite}`, otherPartnerAuth)).status, 403);
    });

    it('an agent reads its own events only', async () => {
      const other = await w.agent(w.openSite);
      const jwt = bearer((await w.server.runtime.core.credentials.signJwt(other.id)).token);
      assert.deepEqual((await w.get('/global/auditEvents', jwt)).body, []);
      assert.equal((await w.get(`/global/auditEvents?agentId=${agentId}`, jwt)).status, 403);
    });

    it('bad filters answer 400 naming the field; no credential answers 401', async () => {
      const bad = await w.get('/global/auditEvents?event=everything', w.admin);
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /event/);
      assert.equal((await w.get('/global/auditEvents?limit=100000', w.admin)).status, 400);
      assert.equal((await w.get('/global/auditEvents')).status, 401);
    });
  });
}
