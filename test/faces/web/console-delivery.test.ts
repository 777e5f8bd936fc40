/**
 * The console's Delivery tab (SQLite and PostgreSQL): the queue of the operator's tenant with the job
 * still waiting (a 429 asked for an hour), and a request's attempts by channel; never a code. A
 * sub-tenant's operator does not see another tenant's jobs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeTwilio, startFakeTwilio, tooManyRequests } from '../../helpers/fake-twilio.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { client, subTenant } from '../smart2fa/helpers.js';

for (const dialect of DIALECTS) {
  describe(`console Delivery tab (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let twilio: FakeTwilio;
    before(async () => {
      twilio = await startFakeTwilio();
      server = await startTestServer(dialect, { env: { TWILIO_ACCOUNT_SID: twilio.accountSid, TWILIO_AUTH_TOKEN: twilio.authToken, TWILIO_BASE_URL: twilio.url } });
    });
    after(async () => {
      await server?.close();
      await twilio?.close();
    });
    const page = async (path: string, key = server.admin.apiKey) => {
      const res = await fetch(`${server.url}${path}`, { headers: { cookie: `gh_console=${key}` } });
      return { status: res.status, text: await res.text() };
    };

    test('shows the waiting job and, for its request, each attempt; no code anywhere', async () => {
      const to = '+14155550187';
      twilio.failSequence([tooManyRequests('3600')], to);
      const sent = await client(server).send({ to, body: 'Your code is {code}' });
      assert.equal(sent.status, 200);
      const requestId: string = sent.body.requestID;
      const deadline = Date.now() + 10_000;
      while (twilio.requests.filter((r) => r.form.To === to).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      // The attempt is recorded right after Twilio answered.
      let queue = await page('/console/delivery');
      while (!queue.text.includes('1 queued') && Date.now() < deadline) queue = await page('/console/delivery');
      assert.equal(queue.status, 200);
      assert.match(queue.text, /id="queue-live"/);
      assert.ok(queue.text.includes(requestId));
      assert.match(queue.text, /1 queued/);
      const detail = await page(`/console/delivery?request=${requestId}`);
      assert.equal(detail.status, 200);
      assert.match(detail.text, /id="delivery-attempts"/);
      assert.match(detail.text, /<td>sms<\/td><td>twilio<\/td><td class="sid">—<\/td><td>retry<\/td>/);
      const code = /\d{6}/.exec(twilio.requests.find((r) => r.form.To === to)!.form.Body!)![0];
      assert.ok(!queue.text.includes(code) && !detail.text.includes(code));
    });

    test("a sub-tenant's scope holds only its own jobs", async () => {
      const sub = await subTenant(server, server.admin.tenant, `delivery ${dialect}`);
      // The view of the sub-tenant's scope, asked by the root's admin: the root's queued job is not in it.
      const caller = await server.runtime.core.credentials.authenticateApiKey(server.admin.apiKey);
      const mine = await server.runtime.core.delivery.overview(caller!, sub.sid);
      assert.equal(mine.live.length, 0);
      assert.equal(Object.values(mine.counts).reduce((a, b) => a + b, 0), 0);
      const all = await server.runtime.core.delivery.overview(caller!);
      assert.ok(all.live.length >= 1);
    });
  });
}
