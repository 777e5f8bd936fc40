/**
 * The console's Webhooks tab in a real browser: an operator registers a webhook (the signing secret
 * shown once, on that answer only), sees a delivery arrive at a real HTTPS receiver, resends it from
 * the deliveries page (the receiver gets the same message again, verified by standardwebhooks), and
 * deletes the webhook through the confirmation page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { type TestBrowser, startBrowser } from '../../helpers/browser.js';
import { type Receiver, startReceiver } from '../../helpers/https-receiver.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { client, randomNumber } from '../smart2fa/helpers.js';

for (const dialect of DIALECTS) {
  describe(`web: the console's webhooks (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let browser: TestBrowser;
    let receiver: Receiver;
    before(async () => {
      receiver = await startReceiver();
      server = await startTestServer(dialect, { env: { GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE: 'true', GATEHOUSE_WEBHOOKS_CA: receiver.ca } });
      browser = await startBrowser(`webhooks-${dialect}`);
    });
    after(async () => {
      await browser?.close();
      await server?.close();
      await receiver?.close();
    });

    it('registers a webhook, shows its secret once, lists a delivery, resends it and deletes the webhook after asking', async () => {
      const origin = browser.origin(server.url);
      const ops = await (await browser.context()).newPage();
      await ops.goto(`${origin}/console`);
      await ops.fill('#apiKey', server.admin.apiKey);
      await ops.click('button[type=submit]');
      await ops.click('nav.tabs a:has-text("Webhooks")');
      assert.equal(await ops.locator('h1').innerText(), 'Webhooks');

      await ops.fill('#webhook-url', `${receiver.url}/console`);
      await ops.fill('#webhook-description', 'from the console');
      await ops.check('input[name=events][value="verification.sent"]');
      await ops.click('button:has-text("Register")');
      const secret = (await ops.locator('#created-webhook .secret').innerText()).trim();
      assert.match(secret, /^whsec_/);
      await browser.shoot(ops, 'webhook-registered');
      const id = ((await ops.locator('#webhooks .sid').first().innerText()).trim());
      // Shown once: the list page, opened again, does not hold it.
      await ops.goto(`${origin}/console/webhooks`);
      assert.ok(!(await ops.content()).includes(secret.slice(6)));

      const start = receiver.received.length;
      const sent = await client(server).send({ to: randomNumber() });
      assert.equal(sent.status, 200, sent.text);
      await receiver.waitFor(start + 1);
      await ops.click(`#webhook-${id} a:has-text("Deliveries")`);
      const row = ops.locator('#deliveries tbody tr').first();
      await row.locator('.badge:has-text("delivered")').waitFor({ timeout: 15_000 }).catch(async () => {
        await ops.reload();
        await row.locator('.badge:has-text("delivered")').waitFor({ timeout: 15_000 });
      });
      assert.match(await row.innerText(), /verification\.sent/);
      await browser.shoot(ops, 'webhook-deliveries');
      await row.locator('button:has-text("Resend")').click();
      assert.match(await ops.locator('.notice.ok').innerText(), /queued again/);
      const both = await receiver.waitFor(start + 2);
      const [first, again] = [both[start]!, both[start + 1]!];
      assert.equal(again.headers['webhook-id'], first.headers['webhook-id']);
      for (const r of [first, again]) assert.equal((new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string }).type, 'verification.sent');

      await ops.goto(`${origin}/console/webhooks`);
      await ops.click(`#webhook-${id} a:has-text("Delete")`);
      assert.match(await ops.locator('.confirm p').first().innerText(), /Delete the webhook/);
      await ops.click('.confirm button:has-text("Delete webhook")');
      assert.match(await ops.locator('.notice.ok').innerText(), /Deleted/);
      assert.equal(await ops.locator(`#webhook-${id}`).count(), 0);
    });
  });
}
