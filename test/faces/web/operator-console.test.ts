import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { type TestBrowser, startBrowser } from '../../helpers/browser.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, basic, call, startTestServer } from '../../helpers/server.js';

const PASSWORD = 'correct horse battery';
const totp = (secret: string, offset = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: Date.now() + offset * 30_000 });

for (const dialect of DIALECTS) {
  describe(`web: an operator runs the console in a browser (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let browser: TestBrowser;
    before(async () => {
      server = await startTestServer(dialect);
      browser = await startBrowser(`console-${dialect}`);
    });
    after(async () => {
      await browser?.close();
      await server?.close();
    });

    it('creates a site, requires 2FA, unlocks an agent, sets a limit and finds a send', async () => {
      const origin = browser.origin(server.url);
      const ops = await (await browser.context()).newPage();
      await ops.goto(`${origin}/console`);
      assert.equal(await ops.locator('h1').innerText(), 'Admin console');
      await browser.shoot(ops, 'console-key');
      await ops.fill('#apiKey', 'gha_not-a-real-key');
      await ops.click('button[type=submit]');
      assert.match(await ops.locator('.notice.error').innerText(), /not valid/);
      await ops.goto(`${origin}/console`);
      await ops.fill('#apiKey', server.admin.apiKey);
      await ops.click('button[type=submit]');
      assert.ok(await ops.locator('.tree').isVisible());

      // A partner and a site under it; the site's credentials are shown once.
      await ops.fill('#tenant-name', 'Globex');
      await ops.click('button:has-text("Create")');
      const partnerId = Number((await ops.locator('.notice.ok').innerText()).match(/#(\d+)/)![1]);
      await ops.fill('#tenant-name', 'Globex West');
      await ops.selectOption('#tenant-parent', String(partnerId));
      await ops.click('button:has-text("Create")');
      const siteId = Number((await ops.locator('.notice.ok').innerText()).match(/#(\d+)/)![1]);
      const [sid, token] = (await ops.locator('#created-tenant .secret').innerText()).trim().split(':') as [string, string];
      assert.match(sid, /^AC[0-9a-f]{32}$/);
      await browser.shoot(ops, 'console-tenants');
      await ops.click(`#created-tenant a`);
      assert.equal(await ops.locator('h1').innerText(), 'Globex West');
      assert.match(await ops.locator('#requirement').innerText(), /optional/);
      await ops.selectOption('#requirement-select', '0');
      await ops.click('button:has-text("Save")');
      assert.match(await ops.locator('#requirement').innerText(), /every sign-in/);
      await ops.fill('#account-email', 'bob@globex.test');
      await ops.fill('#account-password', PASSWORD);
      await ops.click('main form[action$="/accounts"] button');
      assert.match(await ops.locator('.notice.ok').innerText(), /Created bob@globex.test/);
      const agentId = Number((await ops.locator('#accounts .item').first().getAttribute('id'))!.replace('account-', ''));

      // The agent has 2FA and is locked by ten wrong codes (two sign-ins of five tries).
      const core = server.runtime.core;
      const { secretKey } = core.twoFactor.createSecret('Globex', 'bob');
      await core.twoFactor.saveConfig(agentId, secretKey, totp(secretKey, -1));
      const wrong = String((Number(totp(secretKey)) + 500_000) % 1_000_000).padStart(6, '0');
      for (let round = 0; round < 2; round++) {
        const login = await call(`${server.url}/global/jwtToken/login`, { method: 'POST', json: { partnerId, siteId, email: 'bob@globex.test', password: PASSWORD } });
        assert.equal(login.body.nextStep, 'isNeed2faVerify', login.text);
        for (let i = 0; i < 5; i++) await call(`${server.url}/global/endlogin`, { method: 'POST', json: { preLoginToken: login.body.preLoginToken, code: wrong } });
      }
      const agent = await (await browser.context()).newPage();
      const signIn = async () => {
        await agent.goto(`${origin}/login`);
        await agent.fill('#email', 'bob@globex.test');
        await agent.fill('#password', PASSWORD);
        await agent.fill('#partnerId', String(partnerId));
        await agent.fill('#siteId', String(siteId));
        await agent.click('button[type=submit]');
        await agent.fill('#code', totp(secretKey));
        await agent.click('button[type=submit]');
      };
      await signIn();
      assert.match(await agent.locator('.notice.error').innerText(), /locked after too many wrong codes\. It unlocks at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
      await browser.shoot(agent, 'login-locked');

      await ops.goto(`${origin}/console/tenants/${siteId}`);
      assert.match(await ops.locator(`#account-${agentId}`).innerText(), /locked until/);
      await browser.shoot(ops, 'console-site');
      await ops.click(`#account-${agentId} button:has-text("Unlock")`);
      assert.match(await ops.locator('.notice.ok').innerText(), /unlocked/);
      assert.doesNotMatch(await ops.locator(`#account-${agentId}`).innerText(), /locked until/);
      await ops.click(`#account-${agentId} a:has-text("Block")`);
      await ops.click('.confirm button:has-text("Block")');
      assert.match(await ops.locator(`#account-${agentId}`).innerText(), /blocked/);
      await ops.click(`#account-${agentId} button:has-text("Unblock")`);
      assert.match(await ops.locator(`#account-${agentId}`).innerText(), /active/);
      await signIn();
      assert.equal(await agent.locator('#signed-in-email').innerText(), 'bob@globex.test', 'the unlocked agent signs in');
      await ops.click(`#account-${agentId} a:has-text("Reset 2FA")`);
      await ops.click('.confirm button:has-text("Reset 2FA")');
      assert.match(await ops.locator(`#account-${agentId}`).innerText(), /2FA off/);
      assert.equal(await core.twoFactor.getConfig(agentId), undefined, 'the secret is gone: the next sign-in enrols again');

      // A limit for the site, then changed.
      await ops.goto(`${origin}/console/limits?tenant=${sid}`);
      await ops.fill('#limit-name', 'per-recipient');
      await ops.fill('#limit-description', 'five an hour');
      await ops.click('button:has-text("Create limit")');
      assert.match(await ops.locator('.notice.ok').innerText(), /Created limit per-recipient/);
      assert.equal(await ops.locator('#limits .item').count(), 1);
      await ops.click('#limits a:has-text("Edit")');
      await ops.fill('#bucket_max_0', '3');
      await ops.fill('#bucket_every_0', '10');
      await ops.selectOption('#bucket_unit_0', 'm');
      await ops.click('#edit-limit button:has-text("Save")');
      assert.match(await ops.locator('.notice.ok').innerText(), /Saved limit per-recipient/);
      assert.match(await ops.locator('#limits .buckets-summary').innerText(), /per recipient: 3 per 10 minutes/);
      const [stored] = (await core.limits.search(await core.credentials.authenticateApiKey(server.admin.apiKey), { page: 0, pageSize: 5, accountSid: sid, sortBy: 'dateCreated', direction: 'desc' })).rows;
      assert.deepEqual(JSON.parse(stored!.buckets), [{ name: 'per recipient', max: '3', interval: '600' }], 'the editor stores what the API would');
      await ops.fill('#limit-name', 'per-recipient');
      await ops.click('button:has-text("Create limit")');
      assert.match(await ops.locator('.notice.error').innerText(), /already exists/);
      await browser.shoot(ops, 'console-limits');
      await ops.fill('#limit-name', 'temporary');
      await ops.click('button:has-text("Create limit")');
      assert.equal(await ops.locator('#limits .item').count(), 2);
      await ops.click('#limits .item:has-text("temporary") a:has-text("Delete")');
      await ops.click('.confirm button:has-text("Delete limit")');
      assert.match(await ops.locator('.notice.ok').innerText(), /Deleted limit temporary/);
      assert.equal(await ops.locator('#limits .item').count(), 1);

      // A send by the site, found in the records.
      const send = await call(`${server.url}/2fa/send`, {
        method: 'POST',
        headers: basic(sid, token),
        json: { service: 'login', from: '+14155551111', to: '+14155550123', body: 'Your code is {code}' },
      });
      assert.equal(send.body.code, 200, send.text);
      await ops.goto(`${origin}/console/sdr`);
      await ops.selectOption('#tenant', sid);
      await ops.fill('#to', '+14155550123');
      await ops.selectOption('#channel', 'sms');
      await ops.click('button:has-text("Search")');
      assert.equal(await ops.locator('#sdr-total').innerText(), '1 record for Globex West');
      assert.ok(!ops.url().includes(token), 'no secret in the URL');
      await browser.shoot(ops, 'console-sdr');
      await ops.click('#sdr tbody a');
      assert.match(await ops.locator('#sdr-detail').innerText(), new RegExp(send.body.requestID));
      await browser.shoot(ops, 'console-sdr-detail');
      // The code from the outbox verifies the send: the usage page counts it as a success.
      const [message] = await core.outbox.list(await core.credentials.authenticateApiKey(server.admin.apiKey), { to: '+14155550123', limit: 1 });
      const code = message!.body.match(/\d{6}/)![0];
      const verify = await call(`${server.url}/2fa/verify`, { method: 'POST', headers: basic(sid, token), json: { service: 'login', requestId: send.body.requestID, code } });
      assert.equal(verify.body.code, 200, verify.text);
      await ops.goto(`${origin}/console/usage?tenant=${sid}&days=7`);
      assert.equal(await ops.locator('#usage-sends').innerText(), '1');
      assert.equal(await ops.locator('#usage-rate').innerText(), '100%');
      assert.match(await ops.locator('#usage-channels').innerText(), /sms\s+1\s+1\s+100%/);
      assert.equal(await ops.locator('#usage-chart rect').count(), 1);
      await browser.shoot(ops, 'console-usage');
      await ops.goto(`${origin}/console/outbox`);
      assert.match(await ops.locator('#outbox').innerText(), /\+14155550123/);
      await browser.shoot(ops, 'console-outbox');
      await ops.click('header button:has-text("Sign out")');
      assert.ok(await ops.locator('#apiKey').isVisible(), 'signing out of the console forgets its key');
    });
  });
}
