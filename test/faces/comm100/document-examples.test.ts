/**
 * The Comm100 documents' examples and response tables: every documented login field with its
 * documented type, the QR image on setup, ids as strings in the lists, a super agent's site policy
 * naming its site, the lock's end on endlogin and its lifting by an admin, and the Comm100
 * envelope on unknown paths of its prefixes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { bearer, call } from '../../helpers/server.js';
import { type LoginWorld, startLoginWorld, totp, wrong } from './login-helpers.js';

/** The v2 "Agent Login" response table: name → documented type. */
const LOGIN_FIELDS: Record<string, 'string' | 'enum' | 'bool' | 'int' | 'guid' | 'int[]' | 'object' | 'datetime'> = {
  nextStep: 'enum', isShowSkip2fa: 'bool', errorCode: 'enum', errorMessage: 'string', url: 'string', siteId: 'int', agentId: 'guid',
  email: 'string', jwtToken: 'string', showVerificationCode: 'bool', verificationCode: 'string', hasMutipleSite: 'bool', siteIds: 'int[]',
  isFirstLogin: 'bool', superAgentId: 'guid', days: 'int', trialInfo: 'object',
};
const OPTIONAL: Record<string, 'string' | 'datetime'> = { preLoginToken: 'string', secretKey: 'string', otpauthUrl: 'string', expireTime: 'datetime' };

function assertDocumentedType(name: string, value: unknown, type: string) {
  const ok: Record<string, (v: unknown) => boolean> = {
    string: (v) => typeof v === 'string',
    guid: (v) => typeof v === 'string',
    enum: (v) => typeof v === 'string' && v !== '',
    datetime: (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v as string)),
    bool: (v) => typeof v === 'boolean',
    int: (v) => Number.isInteger(v),
    'int[]': (v) => Array.isArray(v) && v.every(Number.isInteger),
    object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  };
  assert.ok(ok[type]!(value), `${name} should be ${type}, is ${JSON.stringify(value)}`);
}

function assertLoginAnswer(body: Record<string, unknown>) {
  for (const [name, type] of Object.entries(LOGIN_FIELDS)) {
    assert.ok(name in body, `${name} is required`);
    assertDocumentedType(name, body[name], type);
  }
  for (const [name, type] of Object.entries(OPTIONAL)) if (name in body) assertDocumentedType(name, body[name], type);
}

for (const dialect of DIALECTS) {
  describe(`Comm100, the documents' examples (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let w: LoginWorld;
    before(async () => {
      w = await startLoginWorld(dialect);
    });
    after(() => w?.server.close());

    it('9. login answers every documented field with its type, in each step, with a meaning that holds', async () => {
      const agent = await w.agent(w.openSite);
      const first = await w.login(w.openSite, agent.email, { verificationCode: 'x', isMobile: true, ip: '203.0.113.9', isAutoLoginForRegistration: false });
      assert.equal(first.status, 200, first.text);
      assertLoginAnswer(first.body);
      assert.equal(first.body.nextStep, 'noNeed');
      assert.equal(first.body.errorCode, 'none');
      assert.equal(first.body.url, '');
      assert.equal(first.body.agentId, String(agent.id));
      assert.equal(first.body.superAgentId, '');
      assert.equal(first.body.siteId, w.openSite);
      assert.deepEqual(first.body.siteIds, [w.openSite]);
      assert.equal(first.body.hasMutipleSite, false);
      assert.equal(first.body.isFirstLogin, true);
      assert.equal(first.body.days, 0);
      assert.deepEqual(first.body.trialInfo, {});
      assert.ok(first.body.jwtToken.length > 20);
      const second = await w.login(w.openSite, agent.email);
      assert.equal(second.body.isFirstLogin, false, 'the first login completed');

      // The same email as an agent of a second site: hasMutipleSite.
      await w.server.runtime.core.accounts.create(null, { tenant: w.strictSite, email: agent.email, role: 'agent', password: 'correct horse battery' });
      const several = await w.login(w.openSite, agent.email);
      assert.deepEqual(several.body.siteIds, [w.strictSite, w.openSite].sort((a, b) => a - b));
      assert.equal(several.body.hasMutipleSite, true);

      const secured = await w.agent(w.trustSite);
      const secret = await w.enable2fa(secured.id);
      const verify = await w.login(w.trustSite, secured.email);
      assertLoginAnswer(verify.body);
      assert.equal(verify.body.nextStep, 'isNeed2faVerify');
      assert.equal(verify.body.jwtToken, '', 'no JWT before the second factor');
      assert.equal(verify.body.url, '/global/endlogin');
      assert.equal(verify.body.isFirstLogin, true);
      const done = await w.post(verify.body.url, { preLoginToken: verify.body.preLoginToken, code: totp(secret), isSKip2fa: true });
      assert.equal(done.status, 200, done.text);
      const trusted = await w.login(w.trustSite, secured.email, { Verifiedtoken: done.body.Verifiedtoken });
      assertLoginAnswer(trusted.body);
      assert.equal(trusted.body.nextStep, 'noNeed');
      assert.equal(trusted.body.days, 14, 'days left of the trusted device');
      assert.equal(trusted.body.isFirstLogin, false);

      const sa = await w.superAgent();
      const saLogin = await w.login(undefined, sa.email);
      assertLoginAnswer(saLogin.body);
      assert.equal(saLogin.body.superAgentId, String(sa.id));
      assert.equal(saLogin.body.agentId, '');
      assert.equal(saLogin.body.siteId, 0);
      assert.deepEqual(saLogin.body.siteIds, [w.trustSite, w.strictSite, w.openSite].sort((a, b) => a - b));
      assert.equal(saLogin.body.hasMutipleSite, true);
    });

    it('10. the isNeed2faSetup step answers the QR image as a PNG data URL', async () => {
      const agent = await w.agent(w.strictSite);
      const r = await w.login(w.strictSite, agent.email);
      assertLoginAnswer(r.body);
      assert.equal(r.body.nextStep, 'isNeed2faSetup');
      assert.match(r.body.qrcodeUrl, /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
      const png = Buffer.from(r.body.qrcodeUrl.split(',')[1], 'base64');
      assert.equal(png.subarray(1, 4).toString(), 'PNG');
    });

    it('11. the config lists answer ids as strings, as the examples do', async () => {
      const agent = await w.agent(w.openSite);
      await w.enable2fa(agent.id);
      const list = await w.get(`/global/agent2faConfigs?siteId=${w.openSite}`, w.admin);
      assert.equal(list.status, 200, list.text);
      const mine = list.body.find((c: { agentId: string }) => c.agentId === String(agent.id));
      assert.deepEqual(Object.keys(mine).sort(), ['agentId', 'id']);
      assert.equal(typeof mine.id, 'string');
      const sa = await w.superAgent();
      await w.enable2fa(sa.id);
      const saList = await w.get(`/partnerglobal/superagent2faConfigs?partnerId=${w.partner}`, w.admin);
      const entry = saList.body.find((c: { superagentid: string }) => c.superagentid === String(sa.id));
      assert.ok(entry, saList.text);
      assert.equal(typeof entry.superagentid, 'string');
    });

    it('12. a super agent\'s PUT /global/siteAuthenticationConfigs without siteId is a 400 naming siteId, and sets nothing', async () => {
      const sa = await w.superAgent();
      const jwt = bearer((await w.server.runtime.core.credentials.signJwt(sa.id)).token);
      const res = await call(`${w.server.url}/global/siteAuthenticationConfigs`, { method: 'PUT', headers: jwt, json: { '2FARequirement': 1 } });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid parameter');
      assert.match(res.body.message, /^siteId: /);
      const partner = await w.get(`/global/siteAuthenticationConfigs/${w.partner}`, w.admin);
      assert.equal(partner.status, 404, 'the partner has no policy of its own');
      const named = await call(`${w.server.url}/global/siteAuthenticationConfigs`, { method: 'PUT', headers: jwt, json: { siteId: w.strictSite, '2FARequirement': 0 } });
      assert.equal(named.status, 200, named.text);
      assert.deepEqual(named.body, { siteId: w.strictSite, '2FARequirement': 0 });
    });

    it('13. a locked account\'s endlogin says when it unlocks; an admin sees the lock and lifts it', async () => {
      const agent = await w.agent(w.openSite);
      const secret = await w.enable2fa(agent.id);
      const start = async () => (await w.login(w.openSite, agent.email)).body.preLoginToken as string;
      for (let t = 0; t < 2; t++) {
        const token = await start();
        for (let i = 0; i < 5; i++) await w.post('/global/endlogin', { preLoginToken: token, code: wrong(secret) });
      }
      const locked = await w.post('/global/endlogin', { preLoginToken: await start(), code: totp(secret) });
      assert.equal(locked.status, 400);
      assert.equal(locked.body.error, 'account locked');
      const until = Date.parse(locked.body.lockedUntil);
      assert.ok(until > Date.now() + 14 * 60_000, locked.text);
      assert.equal(locked.body.message, `account locked until ${locked.body.lockedUntil}`);

      const shown = await w.get(`/admin/accounts/${agent.id}`, w.admin);
      assert.equal(shown.status, 200, shown.text);
      assert.deepEqual(shown.body.lock, { lockedUntil: locked.body.lockedUntil, failures: 0 });
      const unlocked = await w.post(`/admin/accounts/${agent.id}/unlock`, undefined, w.admin);
      assert.equal(unlocked.status, 200, unlocked.text);
      assert.deepEqual(unlocked.body.lock, { lockedUntil: null, failures: 0 });
      const ok = await w.post('/global/endlogin', { preLoginToken: await start(), code: totp(secret, 1) });
      assert.equal(ok.status, 200, ok.text);
      const events = (await w.get(`/global/auditEvents?agentId=${agent.id}`, w.admin)).body.map((e: { event: string }) => e.event);
      assert.equal(events.filter((e: string) => e === 'unlock').length, 1);

      const agentJwt = bearer((await w.server.runtime.core.credentials.signJwt(agent.id)).token);
      const self = await w.post(`/admin/accounts/${agent.id}/unlock`, undefined, agentJwt);
      assert.equal(self.status, 403, 'an agent cannot lift its own lock');
    });

    it('7. an unknown path under a Comm100 prefix answers in the Comm100 envelope', async () => {
      for (const path of ['/global/nope', '/partnerglobal/x', '/globalapi/x', '/partnerglobalapi/x', '/loginapi/x', '/partnerloginapi/x', '/voicetwilio/x', '/voiceconfig/x', '/2fa/codes/x']) {
        const res = await w.get(path);
        assert.equal(res.status, 404, path);
        assert.deepEqual(res.body, { error: 'not found', message: `no route GET ${path}` }, path);
      }
      const admin = await w.get('/admin/nope');
      assert.deepEqual(admin.body, { error: { code: 'not_found', message: 'no route GET /admin/nope' } });
    });
  });
}
