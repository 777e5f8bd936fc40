/**
 * Delivery through the queue against a fault-injecting fake Twilio and a faulty real SMTP server, on
 * SQLite and PostgreSQL. Counted: every accepted send is delivered exactly once or recorded failed;
 * retries as configured (Retry-After honoured); fallback to voice after an undelivered SMS, to email
 * after exhausted retries; nothing delivered after the code expired, was verified or canceled.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FaultySmtp, startFaultySmtp } from '../../helpers/faulty-smtp.js';
import { type FakeTwilio, type Failure, startFakeTwilio, tooManyRequests } from '../../helpers/fake-twilio.js';
import { queueDrained } from '../../helpers/delivery.js';
import { type TestServer, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type Client, client } from './helpers.js';

const PUBLIC_URL = 'https://gatehouse.example';
let next = Math.floor(Math.random() * 9000);
/** A fresh valid-looking number per send, so the fake's counts per number are counts per send. */
const freshNumber = () => `+1415555${String(next++ % 10_000).padStart(4, '0')}`;
const refusal = (code: number, message: string): Failure => ({ status: 400, code, message });

for (const dialect of DIALECTS) {
  describe(`delivery queue with faulty providers (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let twilio: FakeTwilio;
    let smtp: FaultySmtp;
    let api: Client;
    before(async () => {
      twilio = await startFakeTwilio();
      smtp = await startFaultySmtp();
      server = await startTestServer(dialect, {
        env: {
          TWILIO_ACCOUNT_SID: twilio.accountSid,
          TWILIO_AUTH_TOKEN: twilio.authToken,
          TWILIO_BASE_URL: twilio.url,
          TWILIO_TIMEOUT: '1',
          GATEHOUSE_PUBLIC_URL: PUBLIC_URL,
          SMTP_URL: smtp.url,
          SMTP_TIMEOUT: '2',
          SMTP_FROM: 'codes@example.com',
          GATEHOUSE_DELIVERY_ATTEMPTS: '3',
          GATEHOUSE_DELIVERY_BACKOFF_MS: '20',
          GATEHOUSE_DELIVERY_BACKOFF_MAX_MS: '100',
          GATEHOUSE_DELIVERY_POLL_MS: '50',
          GATEHOUSE_DELIVERY_REPORT_TIMEOUT: '1',
          GATEHOUSE_FRAUD_GUARD: 'false',
        },
      });
      twilio.callbacksTo(server.url);
      api = client(server);
    });
    after(async () => {
      await server?.close();
      await twilio?.close();
      await smtp?.close();
    });

    const db = () => server.runtime.storage.db;
    const sdr = async (requestId: string) => (await api.get(`/2fa/sdr/search/${requestId}`)).body.data;
    const acceptedTo = (to: string) => twilio.accepted.filter((a) => a.to === to);
    const requestsTo = (to: string) => twilio.requests.filter((r) => r.form.To === to);
    const job = (requestId: string) => db().selectFrom('delivery_jobs').selectAll().where('key', '=', `code:${requestId}`).executeTakeFirstOrThrow();
    /** The code, read the one way a test can: from the sealed job, with the server's own keys. */
    const codeOf = async (requestId: string) => {
      const row = await job(requestId);
      const payload = JSON.parse(server.runtime.core.deps.sealer.open(row.payload!, `delivery_job:${row.key}`));
      return /\d{6}/.exec(payload.stages[0].body)![0];
    };
    const until = async (what: string, check: () => Promise<boolean> | boolean, ms = 10_000) => {
      const deadline = Date.now() + ms;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };

    test('every accepted send is delivered exactly once or recorded failed, through 500s, 429s, timeouts, dropped connections and refusals', async () => {
      const faults: Failure[] = [
        ...Array<Failure>(10).fill('http500'),
        ...Array.from({ length: 5 }, () => tooManyRequests('0')),
        'hang',
        'hang',
        ...Array<Failure>(5).fill('drop'),
        ...Array.from({ length: 3 }, () => refusal(21610, 'Attempt to send to unsubscribed recipient')),
      ];
      twilio.failSequence(faults);
      const before = twilio.requests.length;
      const sends = await Promise.all(Array.from({ length: 60 }, () => freshNumber()).map(async (to) => ({ to, res: await api.send({ to, body: 'Code {code}' }) })));
      assert.ok(sends.every((s) => s.res.status === 200));
      await queueDrained(server);
      let delivered = 0;
      let failed = 0;
      let attemptRows = 0;
      for (const { to, res } of sends) {
        const record = await sdr(res.body.requestID);
        const accepted = acceptedTo(to).length;
        attemptRows += record.deliveryAttempts.length;
        if (record.deliveryStatus === 'failed') {
          failed++;
          assert.equal(accepted, 0, `${to} failed yet was accepted`);
          assert.equal(record.deliveryAttempts.at(-1).status, 'failed');
        } else {
          delivered++;
          assert.equal(accepted, 1, `${to} accepted ${accepted} times`);
          assert.equal(record.deliveryStatus, 'queued');
          assert.equal(record.deliveryAttempts.at(-1).status, 'accepted');
          assert.equal(record.providerId, acceptedTo(to)[0]!.sid);
        }
        // Each try is one request to Twilio, and one attempt row.
        assert.equal(record.deliveryAttempts.length, requestsTo(to).length);
      }
      assert.equal(delivered + failed, 60);
      assert.ok(failed >= 3, `the 3 permanent refusals are failures (${failed})`);
      assert.equal(attemptRows, twilio.requests.length - before);
      // Each fault the fake used made one try that was not accepted (a send that gave up, or failed
      // for good, leaves the rest unused: nothing asked Twilio again).
      const notAccepted = await db().selectFrom('delivery_attempts').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '!=', 'accepted').executeTakeFirstOrThrow();
      assert.equal(Number(notAccepted.n), faults.length - twilio.pendingFailures());
      assert.equal(attemptRows, delivered + Number(notAccepted.n));
      twilio.failSequence([]);
      while (twilio.pendingFailures() > 0) await api.send({ to: freshNumber() }).then(() => queueDrained(server));
    });

    test('a 5xx is retried as configured (3 tries), then the request is recorded failed', async () => {
      const to = freshNumber();
      twilio.failSequence(['http500', 'http500', 'http500', 'http500'], to);
      const sent = await api.send({ to });
      await queueDrained(server);
      assert.equal(requestsTo(to).length, 3);
      assert.equal(acceptedTo(to).length, 0);
      const record = await sdr(sent.body.requestID);
      assert.equal(record.deliveryStatus, 'failed');
      assert.match(record.deliveryError, /gave up after 3 attempts/);
      assert.deepEqual(record.deliveryAttempts.map((a: { status: string }) => a.status), ['retry', 'retry', 'failed']);
      assert.equal((await job(sent.body.requestID)).payload, null, 'the ended job keeps no payload');
    });

    test("429's Retry-After is honoured: the second try comes a second later", async () => {
      const to = freshNumber();
      twilio.failSequence([tooManyRequests('1')], to);
      const sent = await api.send({ to });
      await queueDrained(server);
      const rows = await db().selectFrom('delivery_attempts').select(['status', 'created_at']).where('request_id', '=', sent.body.requestID).orderBy('id').execute();
      assert.deepEqual(rows.map((r) => r.status), ['retry', 'accepted']);
      assert.ok(Number(rows[1]!.created_at) - Number(rows[0]!.created_at) >= 950, `${Number(rows[1]!.created_at) - Number(rows[0]!.created_at)} ms`);
      assert.equal(acceptedTo(to).length, 1);
    });

    test('an SMS reported undelivered falls back to a voice call with the same code and request', async () => {
      const to = freshNumber();
      twilio.reportFor(to, 'undelivered', { errorCode: '30003' });
      const sent = await api.send({ to, body: 'Your code is {code}', fallback: ['call'] });
      assert.equal(sent.status, 200);
      await until('the call', () => acceptedTo(to).length === 2);
      await queueDrained(server);
      const [sms, voice] = acceptedTo(to);
      assert.equal(sms!.resource, 'Messages');
      assert.equal(voice!.resource, 'Calls');
      const code = /\d{6}/.exec(sms!.body)![0];
      assert.ok(voice!.body.includes(code.split('').join(', ')), 'the call reads the same code');
      const record = await sdr(sent.body.requestID);
      assert.equal(record.channel, 'sms', "the SDR's channel is the first");
      assert.deepEqual(record.deliveryAttempts.map((a: { channel: string; status: string }) => `${a.channel} ${a.status}`), ['sms undelivered', 'call accepted']);
      assert.ok(record.events.some((e: { type: string }) => e.type === 'fallback'));
      // The code still verifies on the same request.
      assert.equal((await api.post('/2fa/verify', { requestId: sent.body.requestID, code })).status, 200);
    });

    test("a send that names no fallback takes its tenant's default: an undelivered SMS falls back to a call", async () => {
      const settings = (json: unknown) => call(`${server.url}/2fa/settings/countries`, { method: 'PUT', headers: api.headers, json });
      const set = await settings({ defaultFallback: ['call'] });
      assert.equal(set.status, 200);
      assert.deepEqual(set.body.data.defaultFallback, ['call']);
      assert.deepEqual((await api.get('/2fa/settings/countries')).body.data.allowedCallingCodes, [], 'the country list is left as it was');
      try {
        const to = freshNumber();
        twilio.reportFor(to, 'undelivered', { errorCode: '30003' });
        const sent = await api.send({ to });
        assert.equal(sent.status, 200);
        await until('the call', () => acceptedTo(to).length === 2);
        await queueDrained(server);
        assert.deepEqual(acceptedTo(to).map((a) => a.resource), ['Messages', 'Calls']);
        const record = await sdr(sent.body.requestID);
        assert.deepEqual(record.deliveryAttempts.map((a: { channel: string; status: string }) => `${a.channel} ${a.status}`), ['sms undelivered', 'call accepted']);
        // A send's own "fallback": [] names no fallback: it overrides the default, and its job ends
        // when the SMS is accepted (with nothing to fall back to, no report is awaited).
        const alone = freshNumber();
        twilio.reportFor(alone, 'undelivered', { errorCode: '30003' });
        const own = await api.send({ to: alone, fallback: [] });
        await until('the end of its job', async () => !['queued', 'running'].includes((await job(own.body.requestID)).state));
        assert.equal((await job(own.body.requestID)).state, 'done');
        await queueDrained(server);
        assert.deepEqual(acceptedTo(alone).map((a) => a.resource), ['Messages']);
        // A default that is not sms or call is refused, naming the field.
        // Both fields are checked before either is written: the valid country list is not stored either.
        const bad = await settings({ allowedCallingCodes: ['1'], defaultFallback: ['email'] });
        assert.equal(bad.status, 400);
        assert.match(bad.body.message, /defaultFallback\[0\]/);
        const kept = (await api.get('/2fa/settings/countries')).body.data;
        assert.deepEqual([kept.allowedCallingCodes, kept.defaultFallback], [[], ['call']]);
      } finally {
        assert.equal((await settings({ defaultFallback: [] })).status, 200);
      }
    });

    test('an SMS without a delivery report in time falls back to a call', async () => {
      const to = freshNumber();
      const sent = await api.send({ to, fallback: ['call'] });
      await until('the call', () => acceptedTo(to).length === 2, 15_000);
      assert.deepEqual(acceptedTo(to).map((a) => a.resource), ['Messages', 'Calls']);
      assert.ok(acceptedTo(to)[1]!.at - acceptedTo(to)[0]!.at >= 900);
      await queueDrained(server);
      assert.equal((await sdr(sent.body.requestID)).deliveryAttempts.length, 2);
    });

    test('an SMS reported delivered ends its job without falling back', async () => {
      const to = freshNumber();
      twilio.reportFor(to, 'delivered');
      const sent = await api.send({ to, fallback: ['call'] });
      await queueDrained(server);
      assert.deepEqual(acceptedTo(to).map((a) => a.resource), ['Messages']);
      const record = await sdr(sent.body.requestID);
      assert.equal(record.deliveryStatus, 'delivered');
      assert.deepEqual(record.deliveryAttempts.map((a: { status: string }) => a.status), ['delivered']);
    });

    test('a permanent refusal falls back at once; exhausted retries fall back to email', async () => {
      const to = freshNumber();
      twilio.failSequence([refusal(21610, 'Attempt to send to unsubscribed recipient')], to);
      const sent = await api.send({ to, fallback: ['call'] });
      await queueDrained(server);
      assert.deepEqual(acceptedTo(to).map((a) => a.resource), ['Calls']);
      assert.deepEqual((await sdr(sent.body.requestID)).deliveryAttempts.map((a: { channel: string; status: string }) => `${a.channel} ${a.status}`), ['sms failed', 'call accepted']);

      const other = freshNumber();
      const mailbox = `fallback-${dialect}@example.com`;
      twilio.failSequence(['http500', 'http500', 'http500'], other);
      const mailed = await api.send({ to: other, subject: 'Your code', fallback: [{ channel: 'email', to: mailbox }] });
      assert.equal(mailed.status, 200);
      await queueDrained(server);
      const mails = smtp.messages.filter((m) => m.envelopeTo.includes(mailbox));
      assert.equal(mails.length, 1);
      assert.match(mails[0]!.body, /\d{6}/);
      assert.deepEqual((await sdr(mailed.body.requestID)).deliveryAttempts.map((a: { channel: string; status: string }) => `${a.channel} ${a.status}`), ['sms retry', 'sms retry', 'sms failed', 'email accepted']);
    });

    test('a bad fallback is refused with a 4xx naming the field', async () => {
      const res = await api.send({ fallback: [{ channel: 'email' }] });
      assert.equal(res.status, 400);
      assert.match(res.body.message, /fallback\[0\]\.to/);
      const twice = await api.send({ fallback: ['sms'] });
      assert.equal(twice.status, 400);
      assert.match(twice.body.message, /fallback\[0\]\.channel/);
    });

    test('nothing is delivered after the code expired', async () => {
      const to = freshNumber();
      twilio.failSequence([tooManyRequests('2')], to);
      const sent = await api.send({ to, timeout: 1 });
      await queueDrained(server);
      assert.equal(requestsTo(to).length, 1);
      assert.equal(acceptedTo(to).length, 0);
      assert.equal((await job(sent.body.requestID)).state, 'canceled');
      assert.ok((await sdr(sent.body.requestID)).events.some((e: { detail: string }) => e.detail === 'not delivered: the code expired first'));
    });

    test('nothing is delivered after the code was verified or canceled', async () => {
      const verified = freshNumber();
      const canceled = freshNumber();
      twilio.failSequence([tooManyRequests('1')], verified);
      twilio.failSequence([tooManyRequests('1')], canceled);
      const a = await api.send({ to: verified });
      const b = await api.send({ to: canceled });
      await until('the first tries', () => requestsTo(verified).length === 1 && requestsTo(canceled).length === 1);
      assert.equal((await api.post('/2fa/verify', { requestId: a.body.requestID, code: await codeOf(a.body.requestID) })).status, 200);
      assert.equal((await api.post('/2fa/cancel', { requestId: b.body.requestID })).status, 200);
      await queueDrained(server);
      assert.equal(acceptedTo(verified).length, 0);
      assert.equal(acceptedTo(canceled).length, 0);
      assert.equal((await job(a.body.requestID)).state, 'canceled');
      assert.equal((await job(b.body.requestID)).state, 'canceled');
      assert.equal((await job(a.body.requestID)).payload, null);
    });

    test('SMTP: a 451 is retried until accepted (one message), a 550 fails at once', async () => {
      const later = `later-${dialect}@example.com`;
      const never = `never-${dialect}@example.com`;
      smtp.failFor(later, [451, 451]);
      smtp.failFor(never, [550]);
      const a = await api.send({ channel: 'email', to: later, from: 'codes@example.com', subject: 'Code' });
      const b = await api.send({ channel: 'email', to: never, from: 'codes@example.com', subject: 'Code' });
      await queueDrained(server);
      assert.equal(smtp.messages.filter((m) => m.envelopeTo.includes(later)).length, 1);
      assert.deepEqual((await sdr(a.body.requestID)).deliveryAttempts.map((x: { status: string }) => x.status), ['retry', 'retry', 'accepted']);
      assert.equal(smtp.messages.filter((m) => m.envelopeTo.includes(never)).length, 0);
      const refused = await sdr(b.body.requestID);
      assert.equal(refused.deliveryStatus, 'failed');
      assert.deepEqual(refused.deliveryAttempts.map((x: { status: string }) => x.status), ['failed']);
      assert.equal(smtp.rcpts.get(never), 1);
    });

    test('/metrics counts tries by channel, provider and outcome, and shows the queue depth and its oldest job', async () => {
      const text = (await call(`${server.url}/metrics`)).text;
      const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      const delivery = text.split('\n').filter((l) => l.startsWith('gatehouse_delivery')).join('\n');
      assert.ok(value('gatehouse_delivery_attempts_total{channel="sms",provider="twilio",outcome="accepted"}') >= 40, delivery);
      assert.ok(value('gatehouse_delivery_attempts_total{channel="sms",provider="twilio",outcome="retry"}') >= 1);
      assert.ok(value('gatehouse_delivery_attempts_total{channel="call",provider="twilio",outcome="accepted"}') >= 3);
      assert.ok(value('gatehouse_delivery_attempts_total{channel="email",provider="smtp",outcome="failed"}') >= 1);
      assert.equal(value('gatehouse_delivery_queue_depth'), 0);
      assert.equal(value('gatehouse_delivery_queue_oldest_age_seconds'), 0);
      // A job due in an hour (a long Retry-After) is in the depth, and ages.
      await server.runtime.core.queue.enqueue({ kind: 'parked', ref: dialect, tenantId: null, payload: null, runAt: Date.now() + 3_600_000 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const later = (await call(`${server.url}/metrics`)).text;
      assert.match(later, /^gatehouse_delivery_queue_depth 1$/m);
      assert.ok(Number(/^gatehouse_delivery_queue_oldest_age_seconds (\S+)$/m.exec(later)![1]) >= 0.05);
      await db().deleteFrom('delivery_jobs').where('kind', '=', 'parked').execute();
    });

    test('usage counts sends by first channel and tries by channel, separately', async () => {
      const day = new Date().toISOString().slice(0, 10);
      const usage = (await api.get(`/2fa/usage?startTime=${day}&endTime=${day}`)).body.data;
      const sends = usage.result.filter((r: { channel: string }) => r.channel === 'call').reduce((n: number, r: { count: number }) => n + r.count, 0);
      const calls = usage.attempts.find((r: { channel: string }) => r.channel === 'call')?.count ?? 0;
      assert.equal(sends, 0, 'no send named call first');
      assert.ok(calls >= 3, `the fallback calls are counted as call tries (${calls})`);
      const smsTries = usage.attempts.find((r: { channel: string }) => r.channel === 'sms')!.count;
      const smsRows = await db().selectFrom('delivery_attempts').select((eb) => eb.fn.countAll<number>().as('n')).where('channel', '=', 'sms').executeTakeFirstOrThrow();
      assert.equal(smsTries, Number(smsRows.n));
    });
  });
}
