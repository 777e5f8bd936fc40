// GET /voicetwilio/token: an Access Token for the calling agent, from the Twilio account serving its site.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, jwtVerify } from 'jose';
import { createSealer } from '../../../src/core/secrets/envelope.js';
import { keyringFromFile } from '../../../src/core/secrets/keyring.js';
import { resealAll } from '../../../src/core/secrets/rotate.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { basic, bearer, call, startTestServer } from '../../helpers/server.js';
import { API_KEY_SECRET, API_KEY_SID, TWIML_APP_SID, type VoiceWorld, startVoiceWorld } from './voice-world.js';

for (const dialect of DIALECTS) {
  describe(`GET /voicetwilio/token on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: VoiceWorld;
    before(async () => {
      w = await startVoiceWorld(dialect, { GATEHOUSE_VOICE_TOKEN_TTL: '600' });
    });
    after(() => w.close());

    test("an agent's token: its identity, the deployment's account and TwiML app, the configured lifetime", async () => {
      const res = await w.api('GET', '/voicetwilio/token', w.agentA1.headers);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.body.identity, `agent_${w.agentA1.id}`);
      assert.equal(res.body.ttl, 600);
      const { payload } = await jwtVerify(res.body.token, new TextEncoder().encode(API_KEY_SECRET), { issuer: API_KEY_SID, subject: w.twilio.accountSid });
      assert.equal(payload.exp! - payload.iat!, 600);
      assert.equal(new Date(res.body.expireTime).getTime(), payload.exp! * 1000);
      assert.deepEqual(payload.grants, { identity: `agent_${w.agentA1.id}`, voice: { incoming: { allow: true }, outgoing: { application_sid: TWIML_APP_SID } } });
      // a super agent takes calls too
      assert.equal((await w.api('GET', '/voicetwilio/token', w.superP.headers)).status, 200);
      // the token never reaches the log
      assert.ok(!w.server.logs.join('').includes(res.body.token));
    });

    test('no credential is 401; a tenant credential or an admin key (no one to ring) is 403', async () => {
      assert.equal((await call(`${w.server.url}/voicetwilio/token`)).status, 401);
      const tenant = await w.server.runtime.core.tenants.create(null, { name: 'token tenant' });
      const asTenant = await call(`${w.server.url}/voicetwilio/token`, { headers: basic(tenant.tenant.sid, tenant.authToken) });
      assert.equal(asTenant.status, 401, 'the token route takes JWTs and API keys only');
      const asAdmin = await w.api('GET', '/voicetwilio/token', w.admin);
      assert.equal(asAdmin.status, 403);
      assert.equal(asAdmin.body.error, 'forbidden');
    });

    test("a site with its own Twilio account: its agents' tokens are signed with that account's API key", async () => {
      const accountSid = `AC${randomBytes(16).toString('hex')}`;
      const apiKeySid = `SK${randomBytes(16).toString('hex')}`;
      const apiKeySecret = randomBytes(16).toString('hex');
      const twimlAppSid = `AP${randomBytes(16).toString('hex')}`;
      const set = await w.api('PUT', '/voiceconfig/twilioaccount', w.admin, { siteId: w.siteB, accountSid, authToken: randomBytes(16).toString('hex'), apiKeySid, apiKeySecret, twimlAppSid });
      assert.equal(set.status, 200, set.text);
      assert.deepEqual(Object.keys(set.body).sort(), ['accountSid', 'apiKeySid', 'hasApiKey', 'siteId', 'twimlAppSid', 'updatedTime']);
      assert.ok(!set.text.includes(apiKeySecret));
      const read = await w.api('GET', `/voiceconfig/twilioaccount?siteId=${w.siteB}`, w.superP.headers);
      assert.equal(read.status, 403, 'a super agent does not manage Twilio accounts');
      const own = await w.api('GET', `/voiceconfig/twilioaccount?siteId=${w.siteB}`, w.admin);
      assert.deepEqual({ ...own.body, updatedTime: undefined }, { siteId: w.siteB, accountSid, apiKeySid, twimlAppSid, hasApiKey: true, updatedTime: undefined });
      const badSid = await w.api('PUT', '/voiceconfig/twilioaccount', w.admin, { siteId: w.siteB, accountSid: 'AC123', authToken: 'x'.repeat(32) });
      assert.deepEqual([badSid.status, badSid.body.error], [400, 'invalid parameter']);
      assert.match(badSid.body.message, /^accountSid:/);
      const halfKey = await w.api('PUT', '/voiceconfig/twilioaccount', w.admin, { siteId: w.siteB, accountSid, authToken: 'x'.repeat(32), apiKeySid });
      assert.match(halfKey.body.message, /^apiKeySecret:/);
      const res = await w.api('GET', '/voicetwilio/token', w.agentB.headers);
      assert.equal(res.status, 200, res.text);
      const { payload } = await jwtVerify(res.body.token, new TextEncoder().encode(apiKeySecret), { issuer: apiKeySid, subject: accountSid });
      assert.equal((payload.grants as any).voice.outgoing.application_sid, twimlAppSid);
      // site A still uses the deployment's account
      assert.equal(decodeJwt((await w.api('GET', '/voicetwilio/token', w.agentA1.headers)).body.token).sub, w.twilio.accountSid);
      // the secrets are sealed at rest
      const row = await w.server.runtime.core.deps.db.selectFrom('voice_twilio_accounts').selectAll().where('tenant_id', '=', w.siteB).executeTakeFirstOrThrow();
      assert.match(row.api_key_secret!, /^gh1:/);
      assert.ok(!row.api_key_secret!.includes(apiKeySecret));
      // gatehouse keys rotate re-seals them, and tokens keep working
      const keyring = keyringFromFile(w.server.config.dataDir);
      const kid = keyring.addKey();
      assert.ok((await resealAll(w.server.runtime.core.deps.db, createSealer(keyring))) >= 2);
      const resealed = await w.server.runtime.core.deps.db.selectFrom('voice_twilio_accounts').selectAll().where('tenant_id', '=', w.siteB).executeTakeFirstOrThrow();
      assert.ok(resealed.auth_token.startsWith(`gh1:${kid}:`) && resealed.api_key_secret!.startsWith(`gh1:${kid}:`));
      await jwtVerify((await w.api('GET', '/voicetwilio/token', w.agentB.headers)).body.token, new TextEncoder().encode(apiKeySecret));
      // an agent of the site may not change it; the site's own agents never see the secret
      assert.equal((await w.api('PUT', '/voiceconfig/twilioaccount', w.agentB.headers, { accountSid, authToken: 'x'.repeat(32) })).status, 403);
      assert.equal((await w.api('DELETE', `/voiceconfig/twilioaccount?siteId=${w.siteB}`, w.admin)).status, 200);
      assert.equal(decodeJwt((await w.api('GET', '/voicetwilio/token', w.agentB.headers)).body.token).sub, w.twilio.accountSid);
    });
  });

  test(`without Twilio settings a token is 400 voice not configured, never a 5xx (${dialect})`, { skip: await skipDialect(dialect) }, async () => {
    const server = await startTestServer(dialect);
    try {
      const core = server.runtime.core;
      const site = (await core.tenants.create(null, { name: 'no voice' })).tenant;
      const agent = await core.accounts.create(null, { tenant: site.id, email: 'agent@novoice.example', role: 'agent' });
      const res = await call(`${server.url}/voicetwilio/token`, { headers: bearer((await core.credentials.signJwt(agent.id)).token) });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'voice not configured');
    } finally {
      await server.close();
    }
  });
}
