import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';
import { queueDrained } from '../../helpers/delivery.js';
import { type Client, client, codeSentTo, randomNumber, subTenant } from './helpers.js';

for (const dialect of DIALECTS) {
  describe(`POST /2fa/send on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let api: Client;
    before(async () => {
      server = await startTestServer(dialect);
      api = client(server);
    });
    after(() => server.close());

    const count = async () => (await server.runtime.storage.db.selectFrom('verifications').select('id').execute()).length;

    test('a send answers 200 with an OTP request id and delivers a 6-digit code by sms', async () => {
      const to = randomNumber();
      const res = await api.send({ to });
      assert.equal(res.status, 200);
      assert.equal(res.body.code, 200);
      assert.equal(res.body.message, 'OK');
      assert.match(res.body.requestID, /^OTP[0-9a-f]{32}$/);
      const outbox = await call(`${server.url}/dev/outbox?to=${encodeURIComponent(to)}`, { headers: apiKey(server.admin.apiKey) });
      assert.equal(outbox.body.messages[0].channel, 'sms');
      assert.match(outbox.body.messages[0].body, /^Your code is \d{6}$/);
    });

    test('the code is stored only as a hash, never in the row or the log', async () => {
      const to = randomNumber();
      const res = await api.send({ to });
      const code = await codeSentTo(server, to);
      const row = await server.runtime.storage.db.selectFrom('verifications').selectAll().where('request_id', '=', res.body.requestID).executeTakeFirstOrThrow();
      assert.match(row.code_hash, /^[0-9a-f]{64}$/);
      assert.ok(!JSON.stringify(row).includes(code));
      assert.ok(!server.logs.join('').includes(`is ${code}`));
    });

    test('length sets the number of digits (4 to 10)', async () => {
      for (const length of [4, 10]) {
        const to = randomNumber();
        assert.equal((await api.send({ to, length })).status, 200);
        assert.equal((await codeSentTo(server, to)).length, length);
      }
    });

    test('a second send to the same number within a minute answers 453 and sends nothing', async () => {
      const to = randomNumber();
      assert.equal((await api.send({ to })).status, 200);
      const before = await count();
      const res = await api.send({ to });
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, { code: 453, message: 'Too many OTP request to same destination Number', requestID: null });
      assert.equal(await count(), before);
    });

    const invalids: Array<[string, Record<string, unknown>, string]> = [
      ['service missing', { service: undefined }, 'service'],
      ['from missing', { from: undefined }, 'from'],
      ['to missing', { to: undefined }, 'to'],
      ['body missing', { body: undefined }, 'body'],
      ['body without {code}', { body: 'hello' }, 'body'],
      ['an unknown channel', { channel: 'fax' }, 'channel'],
      ['to not E.164 for sms', { to: '5551234' }, 'to'],
      ['to not E.164 for call', { to: 'someone@example.com', channel: 'call' }, 'to'],
      ['to not an address for email', { to: '+14155551234', channel: 'email', from: 'codes@example.com', subject: 'Code' }, 'to'],
      ['email without subject', { to: 'a@example.com', channel: 'email', from: 'codes@example.com' }, 'subject'],
      ['a subject with a line break', { to: 'a@example.com', channel: 'email', from: 'codes@example.com', subject: 'x\r\nBcc: b@example.com' }, 'subject'],
      ['length 3', { length: 3 }, 'length'],
      ['length 11', { length: 11 }, 'length'],
      ['repeat 0', { repeat: 0, channel: 'call' }, 'repeat'],
      ['timeout 0', { timeout: 0 }, 'timeout'],
      ['a negative guardTime', { guardTime: -1 }, 'guardTime'],
      ['an unsafe language', { language: 'en"><Dial>', channel: 'call' }, 'language'],
      ['an unsafe voice', { voice: 'x"/><Dial>', channel: 'call' }, 'voice'],
      ['limits not JSON', { limits: '{nope' }, 'limits'],
      ['accountSid of no sub-account', { accountSid: 'AC' + '0'.repeat(32) }, 'accountSid'],
    ];
    for (const [name, fields, field] of invalids) {
      test(`${name} answers 400 naming ${field} and stores nothing`, async () => {
        const before = await count();
        const res = await api.send(fields);
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.code, 400);
        assert.equal(res.body.requestID, null);
        assert.ok(res.body.message.startsWith(field), res.body.message);
        assert.equal(await count(), before);
      });
    }

    test('malformed JSON (400), text/plain (415) and an oversized body (413) answer in the Smart 2FA envelope', async () => {
      const url = `${server.url}/2fa/send`;
      const broken = await call(url, { method: 'POST', headers: { ...api.headers, 'content-type': 'application/json' }, body: '{"service":' });
      assert.equal(broken.status, 400);
      assert.deepEqual(Object.keys(broken.body).sort(), ['code', 'message', 'requestID']);
      assert.equal(broken.body.code, 400);
      const text = await call(url, { method: 'POST', headers: { ...api.headers, 'content-type': 'text/plain' }, body: 'hello' });
      assert.equal(text.status, 415);
      assert.equal(text.body.code, 415);
      const huge = await call(url, { method: 'POST', headers: { ...api.headers, 'content-type': 'application/json' }, body: JSON.stringify({ body: 'x'.repeat(70_000) }) });
      assert.equal(huge.status, 413);
      assert.equal(huge.body.code, 413);
      assert.equal(huge.body.requestID, null);
    });

    test('a form-encoded send works like JSON', async () => {
      const to = randomNumber();
      const res = await call(`${server.url}/2fa/send`, {
        method: 'POST',
        headers: { ...api.headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ service: '2FA', from: '+14155550000', to, body: 'code {code}', length: '8' }).toString(),
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal((await codeSentTo(server, to)).length, 8);
    });

    test('no credentials answer 401 in the Smart 2FA envelope', async () => {
      const res = await call(`${server.url}/2fa/send`, { json: { service: 'x', from: '+1', to: '+1', body: '{code}' } });
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 401);
      assert.equal(res.body.requestID, null);
    });

    test('a call and an email reach their channels with the code', async () => {
      const to = randomNumber();
      assert.equal((await api.send({ to, channel: 'call', language: 'en-US', voice: 'woman', repeat: 2 })).status, 200);
      assert.match(await codeSentTo(server, to), /^\d{6}$/);
      const email = `u${Date.now()}@example.com`;
      assert.equal((await api.send({ to: email, channel: 'email', from: 'codes@example.com', subject: 'Your code' })).status, 200);
      assert.match(await codeSentTo(server, email), /^\d{6}$/);
    });

    test('a send on behalf of a sub-account is kept under it; another tenant is refused', async () => {
      const sub = await subTenant(server, server.admin.tenant);
      const res = await api.send({ accountSid: sub.sid });
      assert.equal(res.status, 200);
      const row = await server.runtime.storage.db.selectFrom('verifications').select('tenant_id').where('request_id', '=', res.body.requestID).executeTakeFirstOrThrow();
      assert.equal(row.tenant_id, sub.id);
      const other = await subTenant(server, server.admin.tenant, 'other');
      const refused = await client(server, sub).send({ accountSid: other.sid });
      assert.equal(refused.status, 400);
      assert.match(refused.body.message, /^accountSid/);
    });

    test('a re-send cancels the previous code; with guardTime the old one stays valid', async () => {
      await api.post('/2fa/limits', { name: 'resend', buckets: [{ name: 'b', max: 10, interval: 60 }] });
      const to = randomNumber();
      const first = await api.send({ to, limits: { resend: to } });
      const firstCode = await codeSentTo(server, to);
      const second = await api.send({ to, limits: { resend: to } });
      assert.equal(second.status, 200);
      const late = await api.post('/2fa/verify', { requestId: first.body.requestID, code: firstCode });
      assert.equal(late.body.code, 473);

      const to2 = randomNumber();
      const a = await api.send({ to: to2, limits: { resend: to2 } });
      const aCode = await codeSentTo(server, to2);
      assert.equal((await api.send({ to: to2, limits: { resend: to2 }, guardTime: 30 })).status, 200);
      const ok = await api.post('/2fa/verify', { requestId: a.body.requestID, code: aCode });
      assert.equal(ok.status, 200);
    });

    test('a failed delivery is recorded and still answers 200, not 500', async () => {
      const failing = await startTestServer(dialect, { env: { GATEHOUSE_SMS_CHANNEL: 'none' } });
      try {
        const res = await client(failing).send();
        assert.equal(res.status, 200);
        await queueDrained(failing);
        const sdr = await client(failing).get(`/2fa/sdr/search/${res.body.requestID}`);
        assert.equal(sdr.body.data.deliveryStatus, 'failed');
        assert.match(sdr.body.data.deliveryError, /no sms channel/);
      } finally {
        await failing.close();
      }
    });

    test('the country allow list refuses other calling codes with 454 for sms and call, not email', async () => {
      const sub = await subTenant(server, server.admin.tenant, 'uk only');
      const subApi = client(server, sub);
      const set = await subApi.post('/2fa/settings/countries', {});
      assert.equal(set.status, 404); // PUT only
      const put = await call(`${server.url}/2fa/settings/countries`, { method: 'PUT', headers: subApi.headers, json: { allowedCallingCodes: ['44'] } });
      assert.equal(put.status, 200);
      assert.deepEqual(put.body.data.allowedCallingCodes, ['44']);
      for (const channel of ['sms', 'call']) {
        const res = await subApi.send({ to: randomNumber(), channel });
        assert.equal(res.status, 403);
        assert.equal(res.body.code, 454);
      }
      assert.equal((await subApi.send({ to: '+447712345678' })).status, 200);
      assert.equal((await subApi.send({ to: 'x@example.com', channel: 'email', from: 'c@example.com', subject: 's' })).status, 200);
      const bad = await call(`${server.url}/2fa/settings/countries`, { method: 'PUT', headers: subApi.headers, json: { allowedCallingCodes: ['+44'] } });
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /^allowedCallingCodes\[0\]/);
    });

    test("a parent's allow list binds its sub-accounts", async () => {
      const parent = await subTenant(server, server.admin.tenant, 'parent');
      const child = await subTenant(server, parent, 'child');
      await call(`${server.url}/2fa/settings/countries`, { method: 'PUT', headers: client(server, parent).headers, json: { allowedCallingCodes: ['33'] } });
      assert.equal((await client(server, child).send({ to: randomNumber() })).body.code, 454);
      assert.equal((await client(server, child).send({ to: '+33612345678' })).status, 200);
    });
  });
}
