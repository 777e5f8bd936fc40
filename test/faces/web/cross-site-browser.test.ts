/**
 * Issue 22, finding 3, in a real browser: Chromium opens a page of another origin (a second local
 * server) that links to the attach URL and posts a form to the console. Gatehouse is opened as
 * http://localhost:<port>, a potentially trustworthy origin, so Chromium sends Sec-Fetch-Site there;
 * the other site is http://127.0.0.1:<port>, a different site.
 */
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type TestBrowser, startBrowser } from '../../helpers/browser.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';
import { type World, createAccount, digestCall, world } from '../flexisip/world.js';

/** The attacker's site: whatever page the test gives it, at /. */
async function otherSite(): Promise<{ url: string; serve(html: string): void; close(): Promise<void> }> {
  let page = '';
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve: (html) => void (page = html),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

for (const dialect of DIALECTS) {
  describe(`web: another site's page cannot use the victim's cookies (Chromium, ${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let browser: TestBrowser;
    let attacker: Awaited<ReturnType<typeof otherSite>>;
    let w: World;
    let gatehouse: string;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
      browser = await startBrowser(`cross-site-${dialect}`);
      attacker = await otherSite();
      gatehouse = `http://localhost:${new URL(server.url).port}`;
    });
    after(async () => {
      await browser?.close();
      await attacker?.close();
      await server?.close();
    });

    it('a link on another site to the attach URL attaches nothing, whether the key cookie is Strict or sent anyway', async () => {
      const victim = await createAccount(w);
      const context = await browser.context();
      const page = await context.newPage();
      // The victim's browser gets its key cookie the way the upstream flow gives it: redeeming an auth token.
      const own = (await call(`${w.url}/api/accounts/auth_token`, { method: 'POST' })).body.token as string;
      assert.equal((await digestCall(w, victim, `/api/accounts/auth_token/${own}/attach`)).status, 200);
      const redeemed = await page.goto(`${gatehouse}/api/accounts/me/api_key/${own}`);
      assert.equal(redeemed?.status(), 200);
      const cookie = (await context.cookies(gatehouse)).find((c) => c.name === 'x-api-key')!;
      assert.equal((await page.goto(`${gatehouse}/api/accounts/me`))?.status(), 200, 'the cookie signs the victim in on Gatehouse itself');

      const attempt = async () => {
        const token = (await call(`${w.url}/api/accounts/auth_token`, { method: 'POST' })).body.token as string;
        attacker.serve(`<!doctype html><title>Prize</title><a id="go" href="${gatehouse}/api/accounts/auth_token/${token}/attach">Claim your prize</a>`);
        await page.goto(attacker.url);
        const [response] = await Promise.all([page.waitForResponse((r) => r.url().includes('/attach')), page.click('#go')]);
        const headers = await response.request().allHeaders();
        return { token, status: response.status(), body: await response.text(), site: headers['sec-fetch-site'] };
      };

      // As set by Gatehouse (SameSite=Strict), the browser does not even send the cookie: the request
      // has no credential (Digest then asks for one).
      const strict = await attempt();
      assert.equal(strict.site, 'cross-site');
      assert.ok(strict.status >= 400 && strict.status < 500, `${strict.status} ${strict.body}`);
      assert.equal((await call(`${w.url}/api/accounts/me/api_key/${strict.token}`)).status, 404, 'the attacker redeems nothing');
      assert.equal(cookie.sameSite, 'Strict');

      // A cookie the browser does send cross-site (an older browser, or one kept as SameSite=None): the server refuses it.
      await context.addCookies([{ ...cookie, sameSite: 'None', secure: true }]);
      const sent = await attempt();
      assert.equal(sent.site, 'cross-site');
      assert.equal(sent.status, 403, sent.body);
      assert.match(sent.body, /a cookie does not authenticate it/);
      assert.equal((await call(`${w.url}/api/accounts/me/api_key/${sent.token}`)).status, 404, 'the attacker redeems nothing');
      assert.equal((await call(`${w.url}/api/accounts/me`, { headers: apiKey(cookie.value) })).body.id, victim.id, 'the victim keeps its key');
      await context.close();
    });

    it('a form on another site posting to the console, signed in by its key, creates nothing', async () => {
      const context = await browser.context();
      const page = await context.newPage();
      await page.goto(`${gatehouse}/console`);
      await page.fill('#apiKey', server.admin.apiKey);
      await page.click('button[type=submit]');
      await page.locator('#tenant-name').waitFor();
      const csrf = await page.locator('input[name=_csrf]').first().getAttribute('value');
      // Even knowing a token, and even with the key cookie sent cross-site, the post is refused.
      const key = (await context.cookies(`${gatehouse}/console`)).find((c) => c.name === 'gh_console')!;
      await context.addCookies([{ ...key, sameSite: 'None', secure: true }]);
      attacker.serve(`<!doctype html><form method="post" action="${gatehouse}/console/tenants"><input name="_csrf" value="${csrf}"><input name="name" value="Evil Corp"><button id="go">Go</button></form>`);
      await page.goto(attacker.url);
      const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/console/tenants')), page.click('#go')]);
      assert.equal(response.status(), 403);
      assert.match(await response.text(), /a cookie does not authenticate it/);
      const admin = await server.runtime.core.credentials.authenticateApiKey(server.admin.apiKey);
      assert.ok(!(await server.runtime.core.tenants.list(admin)).some((t) => t.name === 'Evil Corp'));
      // The same form on the console itself works.
      await page.goto(`${gatehouse}/console`);
      await page.fill('#tenant-name', 'Fair Corp');
      await page.click('button:has-text("Create")');
      assert.match(await page.locator('.notice.ok').innerText(), /Created Fair Corp/);
      await context.close();
    });
  });
}
