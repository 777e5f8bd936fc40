/**
 * The console's Fraud guard tab in Chromium, on SQLite and PostgreSQL: a prefix blocked by unverified
 * sends is listed with its counts; Lift asks on its own page (a post without confirm=yes lifts nothing),
 * then lifts; the safe list is saved, a bad number refused next to nothing else.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestBrowser, startBrowser } from '../../helpers/browser.js';
import { type FakeTwilio, startFakeTwilio } from '../../helpers/fake-twilio.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, call, startTestServer } from '../../helpers/server.js';
import { client } from '../smart2fa/helpers.js';

for (const dialect of DIALECTS) {
  describe(`web: an operator sees and lifts blocked prefixes in the console (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let twilio: FakeTwilio;
    let browser: TestBrowser;
    before(async () => {
      twilio = await startFakeTwilio();
      server = await startTestServer(dialect, {
        env: {
          TWILIO_BASE_URL: twilio.url,
          TWILIO_ACCOUNT_SID: twilio.accountSid,
          TWILIO_AUTH_TOKEN: twilio.authToken,
          TWILIO_FROM: '+14155551111',
          GATEHOUSE_SMS_CHANNEL: 'twilio',
          GATEHOUSE_FRAUD_MIN_SENDS: '3',
        },
      });
      browser = await startBrowser(`fraud-console-${dialect}`);
    });
    after(async () => {
      await browser?.close();
      await server?.close();
      await twilio?.close();
    });

    it('lists the blocked prefix, lifts it after the confirmation page, and saves the safe list', async () => {
      const api = client(server);
      for (let i = 1; i <= 4; i++) await api.send({ to: `+4477123${String(i).padStart(5, '0')}` });
      assert.equal((await api.send({ to: '+447712300009' })).body.code, 456);

      const origin = browser.origin(server.url);
      const ops = await (await browser.context()).newPage();
      await ops.goto(`${origin}/console`);
      await ops.fill('#apiKey', server.admin.apiKey);
      await ops.click('button[type=submit]');
      await ops.click('nav.tabs a:has-text("Fraud guard")');
      assert.match(await ops.locator('#blocked').innerText(), /\+44-771[\s\S]*0 of 3/);
      await browser.shoot(ops, 'fraud-blocked');

      // Lift: its own page asks; a post without confirm=yes changes nothing.
      await ops.click('#blocked a:has-text("Lift")');
      assert.match(await ops.locator('.confirm').innerText(), /Lift the block on \+44-771\?/);
      // The same form posted without confirm=yes, with the page's cookies (the page's CSP allows no script fetch).
      const action = new URL((await ops.locator('.confirm form').getAttribute('action'))!, ops.url()).toString();
      const csrf = (await ops.locator('.confirm form input[name=_csrf]').getAttribute('value'))!;
      const cookie = (await ops.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
      const path = new URL(action).pathname + new URL(action).search;
      const unconfirmed = (await call(`${server.url}${path}`, { method: 'POST', headers: { cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }).toString() })).status;
      assert.equal(unconfirmed, 200);
      assert.equal((await api.get('/2fa/fraud/blocked-prefixes')).body.data.blockedPrefixes.length, 1, 'nothing was lifted');
      await ops.click('button:has-text("Lift block")');
      assert.match(await ops.locator('.notice.ok').innerText(), /Lifted the block on \+44-771/);
      assert.ok(await ops.locator('#blocked-none').isVisible());
      assert.equal((await api.send({ to: '+447712300010' })).status, 200, 'sends go again');

      // The safe list: a bad number is refused with a notice, then a good list is saved.
      await ops.fill('#safe-numbers', '+15550001111');
      await ops.click('button:has-text("Save safe list")');
      assert.match(await ops.locator('.notice.error').innerText(), /numbers\[0\]/);
      await ops.fill('#safe-numbers', '+919960639903\n+447712345678');
      await ops.click('button:has-text("Save safe list")');
      assert.match(await ops.locator('.notice.ok').innerText(), /2 numbers/);
      assert.deepEqual((await api.get('/2fa/fraud/safe-numbers')).body.data.numbers, ['+447712345678', '+919960639903']);
    });
  });
}
