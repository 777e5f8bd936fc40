/**
 * The SSRF rule over HTTP, on a server with the default settings (no GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE):
 * registering a webhook whose URL is, or resolves to, a loopback, private, link-local or metadata
 * address is refused (400, webhook_unsafe_address, naming url); and a webhook whose host resolves to
 * such an address only at delivery time (DNS rebinding, here a row written as if its name had changed
 * since) is refused by the delivery itself: recorded failed, not retried, counted on /metrics, and
 * nothing reaches the receiver.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newSecret, secretContext } from '../../../src/core/events/signing.js';
import { type Receiver, startReceiver } from '../../helpers/https-receiver.js';
import { queueDrained } from '../../helpers/delivery.js';
import { type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { client, randomNumber } from '../smart2fa/helpers.js';

for (const dialect of DIALECTS) {
  describe(`webhook URLs and the SSRF rule (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let receiver: Receiver;

    before(async () => {
      receiver = await startReceiver();
      server = await startTestServer(dialect, { env: { GATEHOUSE_WEBHOOKS_CA: receiver.ca, GATEHOUSE_WEBHOOKS_RETRY: '0.1' } });
    });
    after(async () => {
      await server?.close();
      await receiver?.close();
    });

    it('refuses loopback, private, link-local, metadata and a name resolving to loopback at registration', async () => {
      const urls = [
        `https://127.0.0.1:${receiver.port}/hook`,
        'https://10.0.0.8/hook',
        'https://192.168.1.20/hook',
        'https://169.254.169.254/latest/meta-data/',
        'https://[::1]/hook',
        'https://[::ffff:127.0.0.1]/hook',
        'https://[fd00:ec2::254]/hook',
        `https://localhost:${receiver.port}/hook`,
      ];
      for (const url of urls) {
        const res = await call(`${server.url}/admin/tenants/${server.admin.tenant.id}/webhooks`, { headers: apiKey(server.admin.apiKey), json: { url } });
        assert.equal(res.status, 400, `${url}: ${res.text}`);
        assert.equal(res.body.error.code, 'webhook_unsafe_address', url);
        assert.equal(res.body.error.field, 'url');
        assert.match(res.body.error.message, /(loopback|private|link-local|metadata) address/, url);
      }
      const listed = await call(`${server.url}/admin/tenants/${server.admin.tenant.id}/webhooks`, { headers: apiKey(server.admin.apiKey) });
      assert.deepEqual(listed.body.webhooks, []);
    });

    it('a host that resolves to loopback at delivery time is refused there: recorded failed once, not retried, nothing sent', async () => {
      const db = server.runtime.storage.db;
      const tenant = (await call(`${server.url}/admin/tenants`, { headers: apiKey(server.admin.apiKey), json: { name: 'rebound' } })).body;
      // As if registered while its name resolved to a public address, which now answers 127.0.0.1.
      const sid = `wh_${'ab'.repeat(16)}`;
      await db.insertInto('webhooks').values({ sid, tenant_id: tenant.id, url: `https://localhost:${receiver.port}/hook`, events: '[]', description: null, secret: server.runtime.core.deps.sealer.seal(newSecret(), secretContext(sid)), created_at: Date.now() }).execute();
      const c = client(server, { sid: tenant.sid, authToken: tenant.authToken });
      const before = receiver.received.length;
      await c.post('/2fa/cancel', { requestId: (await c.send({ to: randomNumber() })).body.requestID });
      await queueDrained(server);
      const deliveries = (await call(`${server.url}/admin/webhooks/${sid}/deliveries`, { headers: apiKey(server.admin.apiKey) })).body.deliveries;
      assert.equal(deliveries.length, 2, 'verification.sent and verification.canceled');
      for (const d of deliveries) {
        assert.equal(d.status, 'failed');
        assert.equal(d.attempts, 1, 'refused, not retried');
        assert.equal(d.lastStatus, null);
        assert.match(d.lastError, /localhost resolves to (127\.0\.0\.1|::1), which is a loopback address/);
      }
      assert.equal(receiver.received.length, before, 'nothing reached the receiver');
      const metrics = (await call(`${server.url}/metrics`, { headers: apiKey(server.admin.apiKey) })).text;
      assert.match(metrics, /gatehouse_webhook_failures_total\{outcome="refused"\} 2/);
    });
  });
}
