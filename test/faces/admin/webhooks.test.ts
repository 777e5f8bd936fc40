/**
 * Tenant webhooks end to end, on SQLite and PostgreSQL, against a real HTTPS receiver whose
 * self-signed certificate the server trusts by GATEHOUSE_WEBHOOKS_CA (and GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE,
 * since it listens on 127.0.0.1): every event of the catalogue arrives signed, and the
 * `standardwebhooks` package verifies every delivery with the secret shown once at registration;
 * a receiver failing with 500s is retried until it answers 2xx, and the delivery is recorded once;
 * a resend posts the same message again; the secret is in no list answer and no log line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { type Receiver, startReceiver } from '../../helpers/https-receiver.js';
import { type TestServer, apiKey, basic, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { totp, twoFactorAgents, wrong } from '../comm100/login-helpers.js';
import { client, codeSentTo, randomNumber } from '../smart2fa/helpers.js';

/** Polls until `check` answers something other than undefined. */
async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const dialect of DIALECTS) {
  describe(`tenant webhooks (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let receiver: Receiver;
    let admin: Record<string, string>;
    const secrets: string[] = [];

    before(async () => {
      receiver = await startReceiver();
      server = await startTestServer(dialect, {
        env: { GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE: 'true', GATEHOUSE_WEBHOOKS_CA: receiver.ca, GATEHOUSE_WEBHOOKS_RETRY: '0.2,0.2,0.2' },
      });
      admin = apiKey(server.admin.apiKey);
    });
    after(async () => {
      // Whatever happened above, no secret was ever logged.
      const logs = server?.logs.join('');
      for (const s of secrets) assert.ok(!logs.includes(s), 'a webhook secret reached the log');
      await server?.close();
      await receiver?.close();
    });

    async function register(tenant: number | string, body: Record<string, unknown>, headers = admin) {
      const res = await call(`${server.url}/admin/tenants/${tenant}/webhooks`, { headers, json: body });
      if (res.status === 201) secrets.push(res.body.secret);
      return res;
    }

    it('registers a webhook: 201 with its whsec_ secret once; the list and the one-webhook read never show it', async () => {
      const res = await register(server.admin.tenant.id, { url: `${receiver.url}/once`, events: ['verification.sent'], description: 'test' });
      assert.equal(res.status, 201, res.text);
      assert.match(res.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      assert.match(res.body.id, /^wh_[0-9a-f]{32}$/);
      assert.deepEqual(res.body.events, ['verification.sent']);
      const list = await call(`${server.url}/admin/tenants/${server.admin.tenant.id}/webhooks`, { headers: admin });
      assert.equal(list.status, 200);
      assert.ok(list.body.webhooks.some((w: { id: string }) => w.id === res.body.id));
      assert.ok(!list.text.includes(res.body.secret.slice(6)) && !list.text.includes('secret'), 'no secret in the list');
      const one = await call(`${server.url}/admin/webhooks/${res.body.id}`, { headers: admin });
      assert.equal(one.status, 200);
      assert.ok(!one.text.includes(res.body.secret.slice(6)));
      // At rest it is sealed: the column holds an envelope, not the secret.
      const row = await server.runtime.storage.db.selectFrom('webhooks').select('secret').where('sid', '=', res.body.id).executeTakeFirstOrThrow();
      assert.ok(row.secret.startsWith('gh1:') && !row.secret.includes(res.body.secret.slice(6)));
      assert.equal((await call(`${server.url}/admin/webhooks/${res.body.id}`, { method: 'DELETE', headers: admin })).status, 204);
    });

    it('refuses an http:// URL, an unknown event and a URL with credentials, naming the field', async () => {
      for (const [body, field] of [
        [{ url: `http://127.0.0.1:${receiver.port}/x` }, 'url'],
        [{ url: `https://user:pw@127.0.0.1:${receiver.port}/x` }, 'url'],
        [{ url: `${receiver.url}/x`, events: ['verification.sent', 'nope'] }, 'events[1]'],
      ] as const) {
        const res = await register(server.admin.tenant.id, body);
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body.error.field, field);
      }
    });

    it('a send, a wrong code, the right one, a cancel, five wrong codes and a timeout each raise their event, signed and verified', async () => {
      const tenant = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'hooked' } })).body;
      const created = await register(tenant.id, { url: `${receiver.url}/all` });
      assert.equal(created.status, 201);
      const secret: string = created.body.secret;
      const c = client(server, { sid: tenant.sid, authToken: tenant.authToken });
      const start = receiver.received.length;

      const to = randomNumber();
      const sent = await c.send({ to });
      const requestId: string = sent.body.requestID;
      const code = await codeSentTo(server, to);
      assert.notEqual((await c.post('/2fa/verify', { requestId, code: code === '000000' ? '111111' : '000000' })).status, 200);
      assert.equal((await c.post('/2fa/verify', { requestId, code })).status, 200);

      const toCancel = (await c.send({ to: randomNumber() })).body.requestID;
      assert.equal((await c.post('/2fa/cancel', { requestId: toCancel })).status, 200);

      const toKill = randomNumber();
      const killed = (await c.send({ to: toKill })).body.requestID;
      const right = await codeSentTo(server, toKill);
      for (let i = 0; i < 5; i++) await c.post('/2fa/verify', { requestId: killed, code: right === '000000' ? '111111' : '000000' });

      const expiring = (await c.send({ to: randomNumber(), timeout: 1 })).body.requestID;

      // sent ×4, approved, canceled, max_attempts_reached, expired.
      await receiver.waitFor(start + 8);
      await new Promise((r) => setTimeout(r, 1500)); // nothing more comes: expired fires once
      const events = receiver.received.slice(start).map((r) => {
        const e = new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown>; timestamp: string };
        assert.ok(!JSON.stringify(e).includes(code), 'no event carries the code');
        return { id: r.headers['webhook-id'], ...e };
      });
      const of = (type: string, id: string) => events.filter((e) => e.type === type && e.data.requestId === id);
      assert.equal(of('verification.sent', requestId).length, 1);
      assert.equal(of('verification.sent', requestId)[0]!.data.to, to);
      assert.equal(of('verification.approved', requestId).length, 1);
      assert.equal(of('verification.canceled', toCancel).length, 1);
      assert.equal(of('verification.max_attempts_reached', killed).length, 1);
      assert.equal(of('verification.expired', expiring).length, 1, 'expired fires once');
      assert.equal(events.length, 8, JSON.stringify(events.map((e) => e.type)));
      assert.equal(new Set(events.map((e) => e.id)).size, 8, 'each event its own message id');
      for (const e of events) assert.ok(!Number.isNaN(Date.parse(e.timestamp)));
    });

    it('a provider\'s status report raises verification.delivered, or verification.failed with its error', async () => {
      const tenant = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'reported' } })).body;
      const created = await register(tenant.id, { url: `${receiver.url}/reported`, events: ['verification.delivered', 'verification.failed'] });
      const c = client(server, { sid: tenant.sid, authToken: tenant.authToken });
      const start = receiver.received.length;
      const ids: string[] = [];
      for (const status of ['delivered', 'failed', 'sent'] as const) {
        const requestId = (await c.send({ to: randomNumber() })).body.requestID as string;
        ids.push(requestId);
        const row = await server.runtime.storage.db.selectFrom('verifications').select('provider_id').where('request_id', '=', requestId).executeTakeFirstOrThrow();
        // What the Twilio status callback route calls (faces/voice), here with the outbox's message id.
        assert.ok(await server.runtime.core.verifications.deliveryStatus(row.provider_id!, status as never, status === 'failed' ? '30005' : undefined));
      }
      const got = await receiver.waitFor(start + 2);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(receiver.received.length, start + 2, 'a status that is neither delivered nor failed raises nothing');
      const events = got.slice(start).map((r) => new Webhook(created.body.secret).verify(r.body, r.headers as Record<string, string>) as { type: string; data: { requestId: string; status: string; error?: string } });
      const of = (id: string) => events.find((e) => e.data.requestId === id);
      assert.equal(of(ids[0]!)?.type, 'verification.delivered');
      assert.equal(of(ids[1]!)?.type, 'verification.failed');
      assert.equal(of(ids[1]!)?.data.error, '30005');
      assert.equal(of(ids[2]!), undefined);
    });

    it('a receiver answering 500 twice is retried with the same message id until it answers 2xx: delivered once, then resent on request', async () => {
      const tenant = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'flaky' } })).body;
      const created = await register(tenant.id, { url: `${receiver.url}/flaky`, events: ['verification.canceled'] });
      const hook: string = created.body.id;
      const start = receiver.received.length;
      receiver.answer((n) => (n - start < 2 ? 500 : 204));
      try {
        const c = client(server, { sid: tenant.sid, authToken: tenant.authToken });
        const requestId = (await c.send({ to: randomNumber() })).body.requestID;
        await c.post('/2fa/cancel', { requestId });
        const delivery = await until(async () => {
          const res = await call(`${server.url}/admin/webhooks/${hook}/deliveries`, { headers: admin });
          const d = res.body.deliveries[0];
          return d?.status === 'delivered' ? d : undefined;
        }, 'the delivery to succeed');
        assert.equal(delivery.attempts, 3);
        assert.equal(delivery.lastStatus, 204);
        const posts = receiver.received.slice(start);
        assert.equal(posts.length, 3, 'two 500s and one 204: nothing after the 2xx');
        assert.ok(posts.every((p) => p.headers['webhook-id'] === delivery.id), 'every attempt carries the same webhook-id');
        for (const p of posts) new Webhook(created.body.secret).verify(p.body, p.headers as Record<string, string>);
        await new Promise((r) => setTimeout(r, 600));
        assert.equal(receiver.received.length - start, 3, 'delivered once: no attempt after the 2xx');

        const resent = await call(`${server.url}/admin/webhooks/${hook}/deliveries/${delivery.id}/resend`, { method: 'POST', headers: admin });
        assert.equal(resent.status, 202, resent.text);
        await receiver.waitFor(start + 4);
        const again = receiver.received[start + 3]!;
        assert.equal(again.headers['webhook-id'], delivery.id);
        assert.equal(again.body, posts[0]!.body, 'the same body');
        new Webhook(created.body.secret).verify(again.body, again.headers as Record<string, string>);
        const after = await until(async () => {
          const d = (await call(`${server.url}/admin/webhooks/${hook}/deliveries`, { headers: admin })).body.deliveries[0];
          return d?.status === 'delivered' && d.attempts === 1 ? d : undefined;
        }, 'the resend to be recorded');
        assert.equal(after.id, delivery.id);
        const list = await call(`${server.url}/admin/webhooks/${hook}/deliveries`, { headers: admin });
        assert.ok(!list.text.includes(created.body.secret.slice(6)), 'no secret in the deliveries');
      } finally {
        receiver.answer(() => 204);
      }
    });

    it('a receiver that never recovers: the retry schedule is spent, the delivery is recorded failed, and /metrics counts it', async () => {
      const tenant = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'down' } })).body;
      const created = await register(tenant.id, { url: `${receiver.url}/down`, events: ['verification.canceled'] });
      const start = receiver.received.length;
      receiver.answer((n) => (n >= start ? 503 : 204));
      try {
        const c = client(server, { sid: tenant.sid, authToken: tenant.authToken });
        await c.post('/2fa/cancel', { requestId: (await c.send({ to: randomNumber() })).body.requestID });
        const d = await until(async () => {
          const x = (await call(`${server.url}/admin/webhooks/${created.body.id}/deliveries`, { headers: admin })).body.deliveries[0];
          return x?.status === 'failed' ? x : undefined;
        }, 'the delivery to fail');
        assert.equal(d.attempts, 4, 'the first attempt and three retries');
        assert.equal(d.lastStatus, 503);
        assert.equal(receiver.received.length - start, 4);
        const metrics = (await call(`${server.url}/metrics`, { headers: admin })).text;
        assert.match(metrics, /gatehouse_webhook_failures_total\{outcome="gave_up"\} [1-9]/);
        assert.match(metrics, /gatehouse_webhook_failures_total\{outcome="retry"\} [1-9]/);
      } finally {
        receiver.answer(() => 204);
      }
    });

    it('a login lock and its lifting raise login.locked and login.unlocked', async () => {
      const agents = await twoFactorAgents(server.runtime.core, '10.0.0.7');
      const created = await register(agents.site, { url: `${receiver.url}/login`, events: ['login.locked', 'login.unlocked'] });
      const start = receiver.received.length;
      const { id, secretKey, token } = await agents.agent();
      const end = async (code: string) =>
        server.runtime.core.login.endLogin({ preLoginToken: await token(), code, trustDevice: false, clientAddress: '10.0.0.7', userAgent: null }).catch((e: { code: string }) => e.code);
      for (let i = 0; i < 10; i++) await end(wrong(secretKey));
      assert.equal(await end(totp(secretKey)), 'account_locked');
      const res = await call(`${server.url}/admin/accounts/${id}/unlock`, { method: 'POST', headers: admin });
      assert.equal(res.status, 200);
      const got = await receiver.waitFor(start + 2);
      const events = got.slice(start).map((r) => new Webhook(created.body.secret).verify(r.body, r.headers as Record<string, string>) as { type: string; data: { accountId: number; reason?: string } });
      assert.deepEqual(events.map((e) => e.type).sort(), ['login.locked', 'login.unlocked']);
      assert.ok(events.every((e) => e.data.accountId === id));
      assert.equal(events.find((e) => e.type === 'login.unlocked')!.data.reason, 'operator');
    });

    it('webhooks.manage: a tenant manages its own webhooks and not another tenant\'s', async () => {
      const mine = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'mine' } })).body;
      const other = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'other' } })).body;
      const own = await register(mine.sid, { url: `${receiver.url}/own` }, basic(mine.sid, mine.authToken));
      assert.equal(own.status, 201, own.text);
      assert.equal((await register(other.id, { url: `${receiver.url}/x` }, basic(mine.sid, mine.authToken))).status, 403);
      const foreign = await register(other.id, { url: `${receiver.url}/theirs` });
      const as = basic(mine.sid, mine.authToken);
      assert.equal((await call(`${server.url}/admin/webhooks/${foreign.body.id}`, { headers: as })).status, 403);
      assert.equal((await call(`${server.url}/admin/webhooks/${foreign.body.id}/deliveries`, { headers: as })).status, 403);
      assert.equal((await call(`${server.url}/admin/webhooks/${foreign.body.id}`, { method: 'DELETE', headers: as })).status, 403);
      assert.equal((await call(`${server.url}/admin/webhooks/wh_${'0'.repeat(32)}`, { headers: as })).status, 404);
    });
  });
}
