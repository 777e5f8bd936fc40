/**
 * The Comm100 calls a client makes exactly as the documents write them (issue 27): each test sends the
 * document's own example body and expects the document's answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { basic, bearer, call } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { PASSWORD, type LoginWorld, startLoginWorld, totp } from './login-helpers.js';

for (const dialect of DIALECTS) {
  describe(`Comm100 as documented on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: LoginWorld;
    before(async () => {
      w = await startLoginWorld(dialect);
    });
    after(() => w.server.close());

    const core = () => w.server.runtime.core;
    /** A new site of the partner, with its own credentials (SID and auth token). */
    const newSite = async (name: string) => {
      const { tenant, authToken } = await core().tenants.create(null, { name, parent: w.partner });
      return { id: tenant.id, headers: basic(tenant.sid, authToken) };
    };
    const example = { '2FARequirement': 1 };

    test('POST /global/siteAuthenticationConfigs {"2FARequirement":1} with the site\'s own credentials: 200 {siteId, 2FARequirement}', async () => {
      const site = await newSite('Own credentials');
      const res = await w.post('/global/siteAuthenticationConfigs', example, site.headers);
      assert.deepEqual([res.status, res.body], [200, { siteId: site.id, '2FARequirement': 1 }]);
      assert.equal(await core().twoFactor.siteRequirement(site.id), 1);
    });

    test('PUT /global/siteAuthenticationConfigs {"2FARequirement":1} by a site admin (an agent who administers the site), made by the site\'s credentials', async () => {
      const site = await newSite('Administered');
      const made = await w.post('/admin/accounts', { tenant: String(site.id), email: 'siteadmin@example.com', password: PASSWORD, role: 'siteadmin' }, site.headers);
      assert.equal(made.status, 201, made.text);
      const jwt = bearer((await core().credentials.signJwt(made.body.id)).token);
      for (const method of ['POST', 'PUT']) {
        const res = await call(`${w.server.url}/global/siteAuthenticationConfigs`, { method, headers: jwt, json: example });
        assert.deepEqual([res.status, res.body], [200, { siteId: site.id, '2FARequirement': 1 }], method);
      }
      // Its reach is its own site: another site of the partner is refused.
      const other = await newSite('Not administered');
      assert.equal((await w.post('/global/siteAuthenticationConfigs', { ...example, siteId: other.id }, jwt)).status, 403);
      // And a site admin still signs in as the agent it is.
      const login = await w.login(site.id, 'siteadmin@example.com');
      assert.equal(login.status, 200, login.text);
      assert.equal(login.body.siteId, site.id);
    });

    test('a super agent names the site with siteId beside the documented body; without it, 400 on siteId', async () => {
      const site = await newSite('Named');
      const superAgent = await w.superAgent();
      const jwt = bearer((await core().credentials.signJwt(superAgent.id)).token);
      const res = await w.post('/global/siteAuthenticationConfigs', { ...example, siteId: site.id }, jwt);
      assert.deepEqual([res.status, res.body], [200, { siteId: site.id, '2FARequirement': 1 }]);
      const unnamed = await w.post('/global/siteAuthenticationConfigs', example, jwt);
      assert.equal(unnamed.status, 400);
      assert.match(unnamed.body.message, /^siteId: /);
    });

    test('a second POST updates the config instead of answering conflict', async () => {
      const site = await newSite('Twice');
      assert.equal((await w.post('/global/siteAuthenticationConfigs', example, site.headers)).status, 200);
      const again = await w.post('/global/siteAuthenticationConfigs', { '2FARequirement': 0 }, site.headers);
      assert.deepEqual([again.status, again.body], [200, { siteId: site.id, '2FARequirement': 0 }]);
      assert.equal(await core().twoFactor.siteRequirement(site.id), 0);
    });

    test('GET /global/2faSecret gives a super agent a secret', async () => {
      const superAgent = await w.superAgent();
      const res = await w.get('/global/2faSecret', bearer((await core().credentials.signJwt(superAgent.id)).token));
      assert.equal(res.status, 200, res.text);
      assert.match(res.body.secretKey, /^[A-Z2-7]{16,}$/);
      assert.ok(res.body.qrcodeUrl);
    });

    test('POST /global/endlogin with "secretKey":"" (as the documents\' examples send it) means no secret key', async () => {
      const agent = await w.agent(w.strictSite);
      const secret = await w.enable2fa(agent.id);
      const login = await w.login(w.strictSite, agent.email);
      assert.equal(login.body.nextStep, 'isNeed2faVerify', login.text);
      const res = await w.post('/global/endlogin', { preLoginToken: login.body.preLoginToken, secretKey: '', code: totp(secret), isSetCookie: false, isSKip2fa: false });
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.jwtToken);
    });
  });
}
