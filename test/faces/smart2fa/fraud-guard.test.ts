/**
 * The fraud guard over HTTP, on SQLite and PostgreSQL with a Twilio that charges (the fake): number
 * classes refused with 455, a prefix whose codes are never verified blocked with 456 after
 * GATEHOUSE_FRAUD_MIN_SENDS, the block in the API, on /metrics and as an event, lifted by an admin;
 * the safe list exempts a number; the development outbox is never blocked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FraudEvent } from '../../../src/core/fraud/guard.js';
import { type FakeTwilio, startFakeTwilio } from '../../helpers/fake-twilio.js';
import { type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { client, randomNumber, subTenant } from './helpers.js';
import { queueDrained } from '../../helpers/delivery.js';

const MIN_SENDS = 5;
const twilioEnv = (twilio: FakeTwilio) => ({
  TWILIO_BASE_URL: twilio.url,
  TWILIO_ACCOUNT_SID: twilio.accountSid,
  TWILIO_AUTH_TOKEN: twilio.authToken,
  TWILIO_FROM: '+14155551111',
  GATEHOUSE_SMS_CHANNEL: 'twilio',
  GATEHOUSE_CALL_CHANNEL: 'twilio',
  GATEHOUSE_FRAUD_MIN_SENDS: String(MIN_SENDS),
});
/** A UK mobile under +44-771 no other send of this run used. */
let serial = 0;
const pumped = () => `+44771${String(++serial).padStart(7, '0')}`;

for (const dialect of DIALECTS) {
  describe(`the fraud guard (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let twilio: FakeTwilio;
    const events: FraudEvent[] = [];
    before(async () => {
      twilio = await startFakeTwilio();
      server = await startTestServer(dialect, { env: twilioEnv(twilio) });
      server.runtime.core.fraud.onEvent((e) => void events.push(e));
    });
    after(async () => {
      await server?.close();
      await twilio?.close();
    });

    it('refuses premium-rate, invalid and sms-less numbers with 455 naming the type, and sends to mobiles', async () => {
      const api = client(server);
      for (const [to, channel, pattern] of [
        ['+19005550100', 'sms', /premium-rate/],
        ['+19005550100', 'call', /premium-rate/],
        ['+448712345678', 'sms', /premium-rate/],
        ['+15550001111', 'sms', /not a valid phone number/],
        ['+15550001111', 'call', /not a valid phone number/],
        ['+4930123456', 'sms', /fixed-line/],
        ['+18005551212', 'sms', /toll-free/],
      ] as const) {
        const before = twilio.requests.length;
        const res = await api.send({ to, channel });
        assert.equal(res.status, 403, `${to} ${channel}: ${res.text}`);
        assert.equal(res.body.code, 455);
        assert.match(res.body.message, pattern);
        assert.equal(twilio.requests.length, before, 'nothing reached Twilio');
      }
      for (const [to, channel] of [['+4930123456', 'call'], ['+919960639903', 'sms'], [randomNumber(), 'sms'], [randomNumber(), 'call']] as const) {
        assert.equal((await api.send({ to, channel })).status, 200, `${to} ${channel}`);
      }
    });

    it('blocks a prefix whose codes are never verified after MIN_SENDS sends, lists it, shows it on /metrics and lifts it', async () => {
      const tenant = await subTenant(server, server.admin.tenant, `pumped-${dialect}`);
      const api = client(server, tenant);
      for (let i = 0; i < MIN_SENDS; i++) assert.equal((await api.send({ to: pumped() })).status, 200);
      const refused = await api.send({ to: pumped() });
      assert.equal(refused.status, 403, refused.text);
      assert.equal(refused.body.code, 456);
      assert.match(refused.body.message, /\+44-771 is blocked/);
      assert.equal((await api.send({ to: pumped() })).body.code, 456, 'still blocked');
      // Another prefix and another tenant are not.
      assert.equal((await api.send({ to: '+447912345678' })).status, 200);
      assert.equal((await client(server).send({ to: pumped() })).status, 200);

      const event = events.find((e) => e.type === 'fraud.prefix_blocked' && e.tenantId === tenant.id);
      assert.deepEqual(event && { prefix: event.prefix, sent: event.sent, verified: event.verified }, { prefix: '+44-771', sent: MIN_SENDS, verified: 0 });

      const listed = await api.get('/2fa/fraud/blocked-prefixes');
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(listed.body.data.blockedPrefixes.map((b: any) => [b.prefix, b.sent, b.verified]), [['+44-771', MIN_SENDS, 0]]);
      assert.ok(Date.parse(listed.body.data.blockedPrefixes[0].blockedUntil) > Date.now() + 11 * 3600_000, 'blocked for 12 hours by default');
      const parentView = await client(server).get(`/2fa/fraud/blocked-prefixes?accountSid=${tenant.sid}`);
      assert.equal(parentView.body.data.blockedPrefixes.length, 1, 'the parent sees its sub-tenant\'s block');

      const metrics = await call(`${server.url}/metrics`, { headers: apiKey(server.admin.apiKey) });
      assert.match(metrics.text, /^gatehouse_fraud_prefix_blocked\{prefix="\+44-771"\} 1$/m);
      assert.match(metrics.text, /^gatehouse_fraud_refusals_total\{reason="prefix_blocked"\} [2-9]/m);
      assert.match(metrics.text, /^gatehouse_fraud_refusals_total\{reason="number_type"\} \d+/m);

      const badLift = await api.post('/2fa/fraud/blocked-prefixes/lift', { prefix: '44771' });
      assert.equal(badLift.status, 400, badLift.text);
      assert.match(badLift.body.message, /prefix/);
      assert.equal((await api.post('/2fa/fraud/blocked-prefixes/lift', { prefix: '+44-772' })).status, 404);
      const lifted = await api.post('/2fa/fraud/blocked-prefixes/lift', { prefix: '+44-771' });
      assert.equal(lifted.status, 200, lifted.text);
      assert.equal((await api.get('/2fa/fraud/blocked-prefixes')).body.data.blockedPrefixes.length, 0);
      assert.equal((await api.send({ to: pumped() })).status, 200, 'sends go again once lifted');
      assert.ok(events.some((e) => e.type === 'fraud.prefix_lifted' && e.tenantId === tenant.id));
      const row = await server.runtime.storage.db.selectFrom('fraud_blocks').selectAll().where('tenant_id', '=', tenant.id).executeTakeFirstOrThrow();
      assert.ok(row.lifted_at && /^tenant AC/.test(row.lifted_by ?? ''), 'the lifting is recorded');
    });

    it('verified codes keep a prefix open, and a safe-listed number is never blocked', async () => {
      const tenant = await subTenant(server, server.admin.tenant, `kept-${dialect}`);
      const api = client(server, tenant);
      for (let i = 0; i < MIN_SENDS * 3; i++) {
        const to = pumped();
        const sent = await api.send({ to });
        assert.equal(sent.status, 200, `send ${i}: ${sent.text}`);
        // The delivery queue calls Twilio a moment after the answer.
        await queueDrained(server);
        const body = [...twilio.requests].reverse().find((r) => r.form.To === to)!.form.Body!;
        assert.equal((await api.post('/2fa/verify', { requestId: sent.body.requestID, code: /\d{6}/.exec(body)![0] })).status, 200);
      }
      const safe = pumped();
      const set = await api.post('/2fa/fraud/safe-numbers', { numbers: [safe] });
      assert.equal(set.status, 404, 'PUT, not POST');
      const put = await call(`${server.url}/2fa/fraud/safe-numbers`, { method: 'PUT', headers: api.headers, json: { numbers: [safe, safe] } });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(put.body.data.numbers, [safe]);
      const badPut = await call(`${server.url}/2fa/fraud/safe-numbers`, { method: 'PUT', headers: api.headers, json: { numbers: ['+15550001111'] } });
      assert.equal(badPut.status, 400);
      assert.match(badPut.body.message, /numbers\[0\]/);
      // Unverified sends now, until verified ÷ sent falls below 20 %: 15 verified of 76 sent is 19.7 %,
      // so the 61st unverified send is the last that goes and the 62nd is refused.
      let refusedAt = -1;
      for (let i = 0; i < 100 && refusedAt < 0; i++) if ((await api.send({ to: pumped() })).status === 403) refusedAt = i;
      assert.equal(refusedAt, 61);
      assert.equal((await api.send({ to: safe })).status, 200, 'the safe number still gets its code');
      assert.deepEqual((await api.get('/2fa/fraud/safe-numbers')).body.data.numbers, [safe]);
    });

    it('the development outbox is never blocked (nothing is paid), but number classes hold there too', async () => {
      const outboxServer = await startTestServer(dialect, { env: { GATEHOUSE_FRAUD_MIN_SENDS: '2' } });
      try {
        const api = client(outboxServer);
        for (let i = 0; i < 10; i++) assert.equal((await api.send({ to: pumped() })).status, 200);
        assert.equal((await api.send({ to: '+19005550100' })).body.code, 455, 'number classes hold on the outbox too');
      } finally {
        await outboxServer.close();
      }
    });
  });
}
