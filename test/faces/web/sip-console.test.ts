import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type TestBrowser, startBrowser } from '../../helpers/browser.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';
import { digestCall } from '../flexisip/world.js';

const PASSWORD = 'sip secret 1234';

/** Clicks and answers the status of the POST the click sent. */
async function postStatus(page: Page, click: () => Promise<void>): Promise<number> {
  const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), click()]);
  return response.status();
}

for (const dialect of DIALECTS) {
  describe(`web: an operator manages Flexisip domains and accounts in the console (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let browser: TestBrowser;
    before(async () => {
      server = await startTestServer(dialect);
      browser = await startBrowser(`sip-console-${dialect}`);
    });
    after(async () => {
      await browser?.close();
      await server?.close();
    });

    it('adds a SIP domain, creates an account, blocks it (its credentials stop working), unblocks and deletes it', async () => {
      const origin = browser.origin(server.url);
      const admin = apiKey(server.admin.apiKey);
      const ops = await (await browser.context()).newPage();
      await ops.goto(`${origin}/console`);
      await ops.fill('#apiKey', server.admin.apiKey);
      await ops.click('button[type=submit]');
      await ops.fill('#tenant-name', 'Initech');
      await ops.click('button:has-text("Create")');
      const tenantId = Number((await ops.locator('.notice.ok').innerText()).match(/#(\d+)/)![1]);

      // The tenant's SIP domains: a bad name is refused next to the field (422, not 500), then one is added.
      await ops.goto(`${origin}/console/tenants/${tenantId}`);
      await ops.click('#sip-domains-link');
      assert.ok(await ops.locator('#sip-domains-none').isVisible());
      await ops.fill('#sip-domain', 'not a domain!');
      assert.equal(await postStatus(ops, () => ops.click('button:has-text("Add domain")')), 422);
      assert.match(await ops.locator('#error-domain').innerText(), /DNS name/);
      assert.equal(await ops.locator('#sip-domain').inputValue(), 'not a domain!', 'the typed value is kept');
      const domain = `sip-${randomBytes(3).toString('hex')}.example.org`;
      await ops.fill('#sip-domain', domain.toUpperCase());
      await ops.click('button:has-text("Add domain")');
      assert.match(await ops.locator('.notice.ok').innerText(), new RegExp(`Added ${domain.replace(/\./g, '\\.')}`));
      assert.match(await ops.locator('#sip-domains').innerText(), new RegExp(domain.replace(/\./g, '\\.')));
      await browser.shoot(ops, 'sip-domains');

      // A Flexisip account: core's field errors first, then a good one.
      await ops.click(`#sip-domains a:has-text("${domain}")`);
      assert.equal(await ops.locator('h1').innerText(), domain);
      assert.equal(await ops.locator('#sip-total').innerText(), '0 accounts');
      await ops.fill('#sip-username', 'ab');
      await ops.fill('#sip-password', PASSWORD);
      // Valid for the browser's own check of type=email, refused by core (no dot in the domain).
      await ops.fill('#sip-email', 'alice@localhost');
      assert.equal(await postStatus(ops, () => ops.click('button:has-text("Create account")')), 422);
      assert.ok(await ops.locator('#error-username').isVisible());
      assert.ok(await ops.locator('#error-email').isVisible());
      assert.equal(await ops.locator('#sip-username').inputValue(), 'ab');
      await browser.shoot(ops, 'sip-account-errors');
      await ops.fill('#sip-username', 'alice.smith');
      await ops.fill('#sip-password', PASSWORD);
      await ops.selectOption('#sip-algorithm', 'MD5');
      await ops.fill('#sip-display-name', 'Alice & Bob');
      await ops.fill('#sip-email', 'alice@initech.example.org');
      await ops.fill('#sip-phone', '');
      await ops.check('#sip-activated');
      await ops.click('button:has-text("Create account")');
      const id = Number((await ops.locator('.notice.ok').innerText()).match(/#(\d+)/)![1]);
      assert.equal(await ops.locator('#sip-total').innerText(), '1 account');
      const row = ops.locator(`#sip-account-${id}`);
      assert.match(await row.innerText(), new RegExp(`alice\\.smith@${domain.replace(/\./g, '\\.')}`));
      assert.match(await row.innerText(), /Alice & Bob/, 'the display name is shown as text (escaped)');
      assert.match(await row.innerText(), /alice@initech\.example\.org/);
      assert.match(await row.innerText(), /not blocked[\s\S]*activated/);
      const account = (await call(`${server.url}/api/accounts/${id}`, { headers: admin })).body;
      assert.equal(account.username, 'alice.smith');
      assert.deepEqual(account.passwords, [{ algorithm: 'MD5' }]);
      await browser.shoot(ops, 'sip-accounts');

      // Digest works and mints an API key; blocked, both stop working.
      const user = { username: 'alice.smith', domain, password: PASSWORD };
      const minted = await digestCall(server, user, '/api/accounts/me/api_key');
      assert.equal(minted.status, 200, minted.text);
      const key = apiKey(minted.text);
      assert.equal((await call(`${server.url}/api/accounts/me`, { headers: key })).status, 200);
      await ops.click(`#sip-account-${id} a:has-text("Block")`);
      await ops.click('.confirm button:has-text("Block")');
      assert.match(await ops.locator('.notice.ok').innerText(), /alice\.smith@.*: blocked\./);
      assert.match(await row.innerText(), /\bblocked/);
      assert.doesNotMatch(await row.innerText(), /not blocked/);
      assert.equal((await call(`${server.url}/api/accounts/${id}`, { headers: admin })).body.blocked, true);
      assert.equal((await call(`${server.url}/api/accounts/me`, { headers: key })).status, 403, 'a blocked account\'s API key is refused');
      assert.equal((await digestCall(server, user, '/api/accounts/me')).status, 403, 'a blocked account\'s Digest is refused');
      await browser.shoot(ops, 'sip-account-blocked');
      await ops.click(`#sip-account-${id} button:has-text("Unblock")`);
      assert.match(await row.innerText(), /not blocked/);
      assert.equal((await call(`${server.url}/api/accounts/me`, { headers: key })).status, 200, 'unblocked, the key works again');

      await ops.click(`#sip-account-${id} a:has-text("Deactivate")`);
      await ops.click('.confirm button:has-text("Deactivate")');
      assert.match(await row.innerText(), /not activated/);
      assert.equal((await call(`${server.url}/api/accounts/${id}`, { headers: admin })).body.activated, false);
      await ops.click(`#sip-account-${id} button:has-text("Activate")`);
      assert.equal((await call(`${server.url}/api/accounts/${id}`, { headers: admin })).body.activated, true);

      await ops.click(`#sip-account-${id} a:has-text("Delete")`);
      await ops.click('.confirm button:has-text("Delete account")');
      assert.match(await ops.locator('.notice.ok').innerText(), /deleted\./);
      assert.equal(await ops.locator('#sip-total').innerText(), '0 accounts');
      assert.equal((await call(`${server.url}/api/accounts/${id}`, { headers: admin })).status, 404);
    });

    it('pages the accounts of a domain and keeps other domains out of reach', async () => {
      const admin = apiKey(server.admin.apiKey);
      const tenant = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'Paged' } })).body;
      const domain = `page-${randomBytes(3).toString('hex')}.example.org`;
      assert.equal((await call(`${server.url}/admin/tenants/${tenant.id}/sip-domains`, { headers: admin, json: { domain } })).status, 201);
      for (let i = 0; i < 21; i++) {
        const res = await call(`${server.url}/api/accounts`, { headers: admin, json: { username: `paged${String(i).padStart(3, '0')}`, password: PASSWORD, algorithm: 'SHA-256', domain } });
        assert.equal(res.status, 200, res.text);
      }
      const origin = browser.origin(server.url);
      const ops = await (await browser.context()).newPage();
      await ops.goto(`${origin}/console`);
      await ops.fill('#apiKey', server.admin.apiKey);
      await ops.click('button[type=submit]');
      await ops.goto(`${origin}/console/sip/${domain}`);
      assert.equal(await ops.locator('#sip-total').innerText(), '21 accounts');
      assert.equal(await ops.locator('#sip-accounts .item').count(), 20);
      await ops.click('a:has-text("next →")');
      assert.equal(await ops.locator('#sip-accounts .item').count(), 1);
      assert.match(await ops.locator('#sip-accounts').innerText(), /paged020@/);

      // A SIP admin of another domain, in the console with its own API key, reaches its domain only.
      const other = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'Other' } })).body;
      const otherDomain = `other-${randomBytes(3).toString('hex')}.example.org`;
      assert.equal((await call(`${server.url}/admin/tenants/${other.id}/sip-domains`, { headers: admin, json: { domain: otherDomain } })).status, 201);
      const boss = { username: 'boss.other', domain: otherDomain, password: PASSWORD };
      assert.equal((await call(`${server.url}/api/accounts`, { headers: admin, json: { ...boss, algorithm: 'SHA-256', admin: true, activated: true } })).status, 200);
      const bossKey = await digestCall(server, boss, '/api/accounts/me/api_key');
      assert.equal(bossKey.status, 200, bossKey.text);
      const page = await (await browser.context()).newPage();
      await page.goto(`${origin}/console`);
      await page.fill('#apiKey', bossKey.text.trim());
      await page.click('button[type=submit]');
      assert.equal((await page.goto(`${origin}/console/sip/${otherDomain}`))!.status(), 200);
      assert.equal(await page.locator('#sip-total').innerText(), '1 account');
      assert.equal((await page.goto(`${origin}/console/sip/${domain}`))!.status(), 404, 'another domain is out of reach');
    });
  });
}
