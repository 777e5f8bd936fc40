/**
 * Credentials and passwords in a real browser (Chromium), on SQLite and PostgreSQL: an operator finds
 * a leaked key in the console's list and revokes it (nothing happens until the confirmation page's
 * button is pressed; the next request with the key is refused); a person changes their password on
 * /account/security: that session goes on, another one ends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestBrowser, startBrowser } from '../../helpers/browser.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';

const PASSWORD = 'correct horse battery';

for (const dialect of DIALECTS) {
  describe(`web: credentials and passwords in a browser (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let browser: TestBrowser;
    let partner: { id: number; sid: string };
    let site: { id: number };
    let agent: { id: number };
    before(async () => {
      server = await startTestServer(dialect);
      browser = await startBrowser(`credentials-${dialect}`);
      const admin = apiKey(server.admin.apiKey);
      partner = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'Initech' } })).body;
      site = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'Initech East', parent: String(partner.id) } })).body;
      agent = (await call(`${server.url}/admin/accounts`, { headers: admin, json: { tenant: String(site.id), email: 'milton@initech.test', password: PASSWORD, role: 'agent' } })).body;
    });
    after(async () => {
      await browser?.close();
      await server?.close();
    });

    it('an operator finds a leaked key in the list and revokes it; nothing happens until confirmed; the key is refused next', async () => {
      const admin = apiKey(server.admin.apiKey);
      const leaked = (await call(`${server.url}/admin/accounts/${agent.id}/api-keys`, { headers: admin, json: { name: 'pastebin' } })).body;
      const spare = (await call(`${server.url}/admin/accounts/${agent.id}/api-keys`, { headers: admin, json: { name: 'spare' } })).body;
      const probe = () => call(`${server.url}/admin/tenants/${site.id}`, { headers: apiKey(leaked.apiKey) }).then((r) => r.status);
      assert.equal(await probe(), 200);
      await server.runtime.core.credentials.lastUsed.flush();

      const origin = browser.origin(server.url);
      const ops = await (await browser.context()).newPage();
      await ops.goto(`${origin}/console`);
      await ops.fill('#apiKey', server.admin.apiKey);
      await ops.click('button[type=submit]');
      await ops.click('nav.tabs a:has-text("Credentials")');
      assert.equal(await ops.locator('h1').innerText(), 'Credentials');
      const row = ops.locator(`#api-key-${leaked.id}`);
      assert.match(await row.innerText(), new RegExp(`${leaked.apiKey.slice(0, 12)}…`));
      assert.match(await row.innerText(), /milton@initech\.test/);
      assert.doesNotMatch(await row.innerText(), /not yet/, 'its last use is shown');
      assert.ok(!(await ops.content()).includes(leaked.apiKey), 'the secret is never on the page');
      await browser.shoot(ops, 'console-credentials');

      // The leaked key, pasted: only its row remains, marked.
      await ops.fill('#find-key', leaked.apiKey);
      await ops.click('form[action="/console/credentials/find"] button');
      assert.ok(!ops.url().includes(leaked.apiKey), 'the key is posted, never put in the address');
      assert.equal(await ops.locator('#api-keys tbody tr').count(), 1);
      assert.equal(await ops.locator(`#api-key-${leaked.id}.found`).count(), 1);
      await browser.shoot(ops, 'console-credentials-found');

      // Revoke asks on a page of its own; Cancel, or a post without confirm=yes, changes nothing.
      await ops.click(`#api-key-${leaked.id} a:has-text("Revoke")`);
      assert.equal(await ops.locator('h1').innerText(), 'Revoke key');
      assert.match(await ops.locator('.confirm p').first().innerText(), /Revoke the API key gha_.{8}… \(pastebin\) of milton@initech\.test\?/);
      await browser.shoot(ops, 'console-credentials-revoke');
      assert.equal(await probe(), 200, 'the question alone revokes nothing');
      await ops.click('.confirm a:has-text("Cancel")');
      assert.equal(await ops.locator('h1').innerText(), 'Credentials');
      assert.equal(await probe(), 200, 'cancelled: nothing revoked');
      await ops.goto(`${origin}/console/credentials/api-keys/${leaked.id}/revoke`);
      await ops.evaluate(() => document.querySelector<HTMLInputElement>('.confirm input[name=confirm]')!.remove());
      await ops.click('.confirm button.danger');
      assert.equal(await ops.locator('h1').innerText(), 'Revoke key', 'a post without confirm=yes asks again');
      assert.equal(await probe(), 200, 'and revokes nothing');

      await ops.goto(`${origin}/console/credentials/api-keys/${leaked.id}/revoke`);
      await ops.click('.confirm button.danger');
      assert.match(await ops.locator('.notice.ok').innerText(), /Revoked gha_.{8}… of milton@initech\.test/);
      assert.equal(await ops.locator(`#api-key-${leaked.id}`).count(), 0);
      assert.equal(await probe(), 401, 'refused on the next request');
      assert.equal((await call(`${server.url}/admin/tenants/${site.id}`, { headers: apiKey(spare.apiKey) })).status, 200, 'the owner\'s other key still works');
    });

    it('an operator resets a password, deletes an account and then its emptied tenant, each after a page that asks', async () => {
      const admin = apiKey(server.admin.apiKey);
      const shop = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'Initrode', parent: String(partner.id) } })).body;
      const temp = (await call(`${server.url}/admin/accounts`, { headers: admin, json: { tenant: String(shop.id), email: 'temp@initrode.test', password: PASSWORD, role: 'agent' } })).body;
      const tempJwt = (await call(`${server.url}/admin/accounts/${temp.id}/jwt`, { method: 'POST', headers: admin })).body.token;
      const origin = browser.origin(server.url);
      const ops = await (await browser.context()).newPage();
      await ops.goto(`${origin}/console`);
      await ops.fill('#apiKey', server.admin.apiKey);
      await ops.click('button[type=submit]');
      await ops.goto(`${origin}/console/tenants/${shop.id}`);
      await ops.click('#credentials-link');
      assert.ok(await ops.locator(`#accounts #account-${temp.id}`).isVisible());
      await browser.shoot(ops, 'console-credentials-tenant');

      // Reset password: its own page asks for the new one; the account's JWTs end.
      await ops.click(`#account-${temp.id} a:has-text("Reset password")`);
      assert.equal(await ops.locator('h1').innerText(), 'Reset password');
      await browser.shoot(ops, 'console-reset-password');
      await ops.fill('#new-password', 'a new long password');
      await ops.click('.confirm button.danger');
      assert.match(await ops.locator('.notice.ok').innerText(), /New password set for temp@initrode\.test/);
      assert.equal((await call(`${server.url}/admin/tenants/${shop.id}`, { headers: { authorization: `Bearer ${tempJwt}` } })).status, 401);

      // The tenant still has an account: refused, said on the tenant's page, nothing deleted.
      await ops.click('a:has-text("Delete Initrode")');
      assert.equal(await ops.locator('h1').innerText(), 'Delete tenant');
      await ops.click('.confirm button.danger');
      assert.match(await ops.locator('.notice.error').innerText(), /still has 1 account: delete the accounts first/);
      assert.equal((await call(`${server.url}/admin/tenants/${shop.id}`, { headers: admin })).status, 200);

      // Delete the account: asked first; Cancel keeps it.
      await ops.click(`#account-${temp.id} a:has-text("Delete account")`);
      assert.equal(await ops.locator('h1').innerText(), 'Delete account');
      await ops.click('.confirm a:has-text("Cancel")');
      assert.equal((await call(`${server.url}/admin/accounts/${temp.id}`, { headers: admin })).status, 200, 'cancelled: still there');
      await ops.click(`#account-${temp.id} a:has-text("Delete account")`);
      await ops.click('.confirm button.danger');
      assert.match(await ops.locator('.notice.ok').innerText(), /Deleted temp@initrode\.test/);
      assert.equal((await call(`${server.url}/admin/accounts/${temp.id}`, { headers: admin })).status, 404);

      await ops.click('a:has-text("Delete Initrode")');
      await ops.click('.confirm button.danger');
      assert.match(await ops.locator('.notice.ok').innerText(), /Deleted the tenant Initrode/);
      assert.equal((await call(`${server.url}/admin/tenants/${shop.id}`, { headers: admin })).status, 404);
    });

    it('a person changes their password: this session goes on, another one ends', async () => {
      const origin = browser.origin(server.url);
      const signIn = async (password: string) => {
        const page = await (await browser.context()).newPage();
        await page.goto(`${origin}/login`);
        await page.fill('#email', 'milton@initech.test');
        await page.fill('#password', password);
        await page.fill('#partnerId', String(partner.id));
        await page.fill('#siteId', String(site.id));
        await page.click('button[type=submit]');
        assert.equal(await page.locator('#signed-in-email').innerText(), 'milton@initech.test');
        return page;
      };
      const here = await signIn(PASSWORD);
      const elsewhere = await signIn(PASSWORD);
      await here.goto(`${origin}/account/security`);
      assert.ok(await here.locator('#password form').isVisible());
      await browser.shoot(here, 'security-password');

      // A wrong current password is said under its field; nothing changes.
      await here.fill('#current-password', 'not my password');
      await here.fill('#new-password', 'a brand new password');
      await here.fill('#repeat-password', 'a brand new password');
      await here.click('#password button[type=submit]');
      assert.equal(await here.locator('#error-current').innerText(), 'This is not your current password.');
      await browser.shoot(here, 'security-password-wrong');
      await here.fill('#current-password', PASSWORD);
      await here.fill('#new-password', 'a brand new password');
      await here.fill('#repeat-password', 'a different one');
      await here.click('#password button[type=submit]');
      assert.equal(await here.locator('#error-repeat').innerText(), 'The two new passwords differ.');
      await elsewhere.goto(`${origin}/account/security`);
      assert.equal(await elsewhere.locator('h1').innerText(), 'My security', 'still signed in elsewhere: nothing changed yet');

      await here.fill('#current-password', PASSWORD);
      await here.fill('#new-password', 'a brand new password');
      await here.fill('#repeat-password', 'a brand new password');
      await here.click('#password button[type=submit]');
      assert.match(await here.locator('.notice.ok').innerText(), /Your password is changed\. Your other sessions have ended; this one goes on\./);
      await here.goto(`${origin}/account/security`);
      assert.equal(await here.locator('h1').innerText(), 'My security', 'this session goes on');
      await elsewhere.goto(`${origin}/account/security`);
      assert.match(new URL(elsewhere.url()).pathname, /^\/login/, 'the other session has ended');
      await signIn('a brand new password');
    });
  });
}
