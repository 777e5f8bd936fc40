import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { twilioSignature } from '../../../src/channels/twilio-status.js';
import { type FakeTwilio, startFakeTwilio } from '../../helpers/fake-twilio.js';
import { queueDrained } from '../../helpers/delivery.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';
import { type TestSmtp, startTestSmtp } from '../../helpers/smtp.js';
import { type Client, client, codeSentTo, randomNumber, subTenant } from './helpers.js';

const PUBLIC_URL = 'https://gatehouse.example';
const CALLBACK = '/2fa/callbacks/twilio/status';

for (const dialect of DIALECTS) {
  describe(`SDR, usage and delivery records on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let api: Client;
    before(async () => {
      server = await startTestServer(dialect);
      api = client(server);
    });
    after(() => server.close());

    test('an SDR shows the send, its delivery and every verify attempt and cancel, never the code', async () => {
      const to = randomNumber();
      const sent = await api.send({ to });
      const code = await codeSentTo(server, to);
      await api.post('/2fa/verify', { requestId: sent.body.requestID, code: code === '000000' ? '111111' : '000000' });
      await api.post('/2fa/cancel', { requestId: sent.body.requestID });
      const res = await api.get(`/2fa/sdr/search/${sent.body.requestID}`);
      assert.equal(res.status, 200);
      const d = res.body.data;
      assert.equal(d.requestID, sent.body.requestID);
      assert.equal(d.to, to);
      assert.equal(d.channel, 'sms');
      assert.equal(d.status, 'canceled');
      assert.equal(d.deliveryStatus, 'delivered');
      assert.equal(d.provider, 'outbox');
      // The delivery names the outbox message it wrote, to this recipient, in the same send.
      const stored = await call(`${server.url}/dev/outbox?to=${encodeURIComponent(to)}`, { headers: apiKey(server.admin.apiKey) });
      assert.deepEqual(stored.body.messages.map((m: { id: number }) => String(m.id)), [d.providerId]);
      assert.equal(d.attempts, 1);
      assert.deepEqual(d.events.map((e: { type: string }) => e.type), ['created', 'delivery', 'verify', 'cancel']);
      assert.ok(!res.text.includes(code));
      const unknown = await api.get(`/2fa/sdr/search/OTP${'0'.repeat(32)}`);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 470);
    });

    test('SDR search filters by to, channel, status and service, pages and sorts', async () => {
      const owner = await subTenant(server, server.admin.tenant, 'sdr');
      const as = client(server, owner);
      const to = randomNumber();
      await as.send({ to, service: 'shop' });
      await as.send({ service: 'shop' });
      await as.send({ service: 'bank', to: 'x@example.com', channel: 'email', from: 'codes@example.com', subject: 'code' });
      assert.equal((await as.get('/2fa/sdr/search')).body.data.total, 3);
      assert.equal((await as.get(`/2fa/sdr/search?to=${encodeURIComponent(to)}`)).body.data.total, 1);
      assert.equal((await as.get('/2fa/sdr/search?channel=email')).body.data.total, 1);
      assert.equal((await as.get('/2fa/sdr/search?service=shop')).body.data.total, 2);
      assert.equal((await as.get('/2fa/sdr/search?status=pending')).body.data.total, 3);
      assert.equal((await as.get('/2fa/sdr/search?status=verified')).body.data.total, 0);
      const paged = (await as.get('/2fa/sdr/search?pageSize=2&SortBy=dateCreated:asc')).body.data;
      assert.equal(paged.numPages, 2);
      assert.equal(paged.result.length, 2);
      assert.equal(paged.result[0].service, 'shop');
      assert.match(paged.nextPageUri, /^\/2fa\/sdr\/search\?SortBy=dateCreated%3Aasc&pageSize=2&page=1$/);
      assert.equal((await as.get('/2fa/sdr/search?channel=fax')).status, 400);
      assert.equal((await as.get('/2fa/sdr/search?endTime=2000-01-01')).body.data.total, 0);
      // the parent sees them only with subAccounts or accountSid; a sibling never
      const sibling = await subTenant(server, server.admin.tenant, 'sdr-sibling');
      assert.equal((await client(server, sibling).get('/2fa/sdr/search')).body.data.total, 0);
      assert.equal((await client(server, sibling).get(`/2fa/sdr/search?accountSid=${owner.sid}`)).status, 400);
      assert.equal((await api.get(`/2fa/sdr/search?accountSid=${owner.sid}`)).body.data.total, 3);
    });

    test('a code past its timeout reads as expired in the SDR, its search and usage', async () => {
      const owner = await subTenant(server, server.admin.tenant, 'expiry');
      const as = client(server, owner);
      const sent = await as.send({ timeout: 1 });
      assert.equal((await as.get(`/2fa/sdr/search/${sent.body.requestID}`)).body.data.status, 'pending');
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await as.get(`/2fa/sdr/search/${sent.body.requestID}`)).body.data.status, 'expired');
      assert.equal((await as.get('/2fa/sdr/search?status=expired')).body.data.total, 1);
      assert.equal((await as.get('/2fa/sdr/search?status=pending')).body.data.total, 0);
      const usage = await as.get('/2fa/usage?startTime=2000-01-01&endTime=2999-01-01');
      assert.deepEqual(usage.body.data.result.map((r: { status: string }) => r.status), ['expired']);
    });

    test('the OpenAPI document lists every Smart 2FA endpoint', async () => {
      const doc = (await call(`${server.url}/openapi.json`)).body;
      for (const path of ['/2fa/send', '/2fa/verify', '/2fa/cancel', '/2fa/limits', '/2fa/limits/{sid}', '/2fa/limits/search', '/2fa/limits/search/{sid}', '/2fa/settings/countries', '/2fa/sdr/search', '/2fa/sdr/search/{requestId}', '/2fa/usage', CALLBACK]) {
        assert.ok(doc.paths[path], `${path} is documented`);
      }
    });

    test('usage counts sends by channel, status and day over the period', async () => {
      const owner = await subTenant(server, server.admin.tenant, 'usage');
      const as = client(server, owner);
      const to = randomNumber();
      const a = await as.send({ to });
      await as.post('/2fa/verify', { requestId: a.body.requestID, code: await codeSentTo(server, to) });
      await as.send();
      await as.send({ channel: 'call' });
      const today = new Date().toISOString().slice(0, 10);
      const res = await as.get(`/2fa/usage?startTime=${today}&endTime=2999-01-01`);
      assert.equal(res.status, 200);
      assert.equal(res.body.data.total, 3);
      assert.deepEqual(res.body.data.result, [
        { day: today, channel: 'call', status: 'pending', count: 1 },
        { day: today, channel: 'sms', status: 'pending', count: 1 },
        { day: today, channel: 'sms', status: 'verified', count: 1 },
      ]);
      assert.equal((await as.get('/2fa/usage?startTime=2000-01-01&endTime=2000-01-02')).body.data.total, 0);
      const missing = await as.get('/2fa/usage?startTime=2000-01-01');
      assert.equal(missing.status, 400);
      assert.match(missing.body.message, /endTime/);
      const reversed = await as.get('/2fa/usage?startTime=2000-01-02&endTime=2000-01-01');
      assert.equal(reversed.status, 400);
    });
  });

  describe(`Twilio and SMTP delivery on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let twilio: FakeTwilio;
    let smtp: TestSmtp;
    let api: Client;
    before(async () => {
      twilio = await startFakeTwilio();
      smtp = await startTestSmtp();
      const smtpUrl = new URL(smtp.url);
      smtpUrl.username = smtp.user;
      smtpUrl.password = smtp.password;
      server = await startTestServer(dialect, {
        env: {
          TWILIO_ACCOUNT_SID: twilio.accountSid,
          TWILIO_AUTH_TOKEN: twilio.authToken,
          TWILIO_BASE_URL: twilio.url,
          GATEHOUSE_PUBLIC_URL: PUBLIC_URL,
          SMTP_URL: smtpUrl.toString(),
        },
      });
      api = client(server);
    });
    after(async () => {
      await server.close();
      await twilio.close();
      await smtp.close();
    });

    const sign = (form: Record<string, string>) => twilioSignature(twilio.authToken, PUBLIC_URL + CALLBACK, form);
    const callback = (form: Record<string, string>, signature?: string) =>
      call(`${server.url}${CALLBACK}`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature && { 'x-twilio-signature': signature }) },
        body: new URLSearchParams(form).toString(),
      });

    test('an sms goes to Twilio with the code, and a signed status callback updates the record', async () => {
      const to = randomNumber();
      const sent = await api.send({ to, body: 'Code: {code}' });
      assert.equal(sent.status, 200);
      await queueDrained(server);
      const request = twilio.requests.at(-1)!;
      assert.equal(request.form.To, to);
      assert.match(request.form.Body!, /^Code: \d{6}$/);
      assert.equal(request.form.StatusCallback, PUBLIC_URL + CALLBACK);
      const sdr = (await api.get(`/2fa/sdr/search/${sent.body.requestID}`)).body.data;
      assert.equal(sdr.provider, 'twilio');
      assert.match(sdr.providerId, /^SM/);

      const form = { MessageSid: sdr.providerId, MessageStatus: 'delivered', AccountSid: twilio.accountSid };
      const forged = await callback(form, 'AAAA');
      assert.equal(forged.status, 403);
      assert.equal(forged.body.code, 403);
      const unsigned = await callback(form);
      assert.equal(unsigned.status, 403);
      assert.equal((await api.get(`/2fa/sdr/search/${sent.body.requestID}`)).body.data.deliveryStatus, 'queued');

      const ok = await callback(form, sign(form));
      assert.equal(ok.status, 200);
      const after = (await api.get(`/2fa/sdr/search/${sent.body.requestID}`)).body.data;
      assert.equal(after.deliveryStatus, 'delivered');
      assert.equal(after.events.at(-1).type, 'status');

      const failed = { MessageSid: sdr.providerId, MessageStatus: 'undelivered', ErrorCode: '30003' };
      assert.equal((await callback(failed, sign(failed))).status, 200);
      const last = (await api.get(`/2fa/sdr/search/${sent.body.requestID}`)).body.data;
      assert.equal(last.deliveryStatus, 'failed');
      assert.match(last.deliveryError, /30003/);
    });

    test('a call reads the code digit by digit in the language and voice asked, repeat times', async () => {
      const to = randomNumber();
      assert.equal((await api.send({ to, channel: 'call', body: 'Your code is {code}', language: 'awspolly.ja-JP', voice: 'woman', repeat: 2 })).status, 200);
      await queueDrained(server);
      const twiml = twilio.requests.at(-1)!.form.Twiml!;
      assert.match(twiml, /language="ja-JP"/);
      assert.match(twiml, /voice="woman"/);
      assert.equal((twiml.match(/<Say/g) ?? []).length, 2);
      assert.match(twiml, /\d, \d, \d, \d, \d, \d/);
    });

    test('a Twilio refusal is recorded as a failed delivery, not a 500', async () => {
      twilio.failNext({ status: 400, code: 21211, message: 'The To number is not a valid phone number.' });
      const sent = await api.send();
      assert.equal(sent.status, 200);
      await queueDrained(server);
      const sdr = (await api.get(`/2fa/sdr/search/${sent.body.requestID}`)).body.data;
      assert.equal(sdr.deliveryStatus, 'failed');
      assert.match(sdr.deliveryError, /twilio/);
    });

    test('an email goes through SMTP with the code and the subject', async () => {
      const to = `user${Date.now()}@example.com`;
      const before = smtp.messages.length;
      assert.equal((await api.send({ to, channel: 'email', from: 'codes@example.com', subject: 'Your code', body: 'Code {code}' })).status, 200);
      const [mail] = (await smtp.waitFor(before + 1)).slice(before);
      assert.deepEqual(mail!.envelopeTo, [to]);
      assert.equal(mail!.headers.get('subject')?.[0], 'Your code');
      assert.match(mail!.body, /Code \d{6}/);
    });
  });
}
