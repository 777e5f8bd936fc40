/**
 * verification.expired fires once per request and webhook, whoever sweeps: the server's own sweep
 * and three more run at the same moment (as other processes would) queue one delivery between them;
 * a code verified, cancelled or spent before its timeout raises no expiry; a webhook registered after
 * a code expired does not hear of it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Receiver, startReceiver } from '../../helpers/https-receiver.js';
import { type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { client, codeSentTo, randomNumber } from '../../faces/smart2fa/helpers.js';

for (const dialect of DIALECTS) {
  describe(`verification.expired (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let receiver: Receiver;
    before(async () => {
      receiver = await startReceiver();
      server = await startTestServer(dialect, { env: { GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE: 'true', GATEHOUSE_WEBHOOKS_CA: receiver.ca } });
    });
    after(async () => {
      await server?.close();
      await receiver?.close();
    });

    const expiredRows = async (tenantId: number) =>
      server.runtime.storage.db.selectFrom('webhook_deliveries').select(['event_type', 'event_key']).where('tenant_id', '=', tenantId).where('event_type', '=', 'verification.expired').execute();

    it('concurrent sweeps queue one delivery per expired code; verified and cancelled codes raise none', async () => {
      const admin = apiKey(server.admin.apiKey);
      const tenant = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'sweep' } })).body;
      assert.equal((await call(`${server.url}/admin/tenants/${tenant.id}/webhooks`, { headers: admin, json: { url: `${receiver.url}/sweep`, events: ['verification.expired'] } })).status, 201);
      const c = client(server, { sid: tenant.sid, authToken: tenant.authToken });
      const expiring = (await c.send({ to: randomNumber(), timeout: 1 })).body.requestID;
      const verifiedTo = randomNumber();
      const verified = (await c.send({ to: verifiedTo, timeout: 1 })).body.requestID;
      assert.equal((await c.post('/2fa/verify', { requestId: verified, code: await codeSentTo(server, verifiedTo) })).status, 200);
      const canceled = (await c.send({ to: randomNumber(), timeout: 1 })).body.requestID;
      assert.equal((await c.post('/2fa/cancel', { requestId: canceled })).status, 200);
      await new Promise((r) => setTimeout(r, 1100));
      const sweep = server.runtime.core.expiredEvents.sweep;
      await Promise.all([sweep(), sweep(), sweep()]);
      await new Promise((r) => setTimeout(r, 1200)); // the server's own sweep has run again too
      const rows = await expiredRows(tenant.id);
      assert.deepEqual(rows.map((r) => r.event_key), [`verification.expired:${expiring}`]);
    });

    it('a webhook registered after a code expired does not hear of it', async () => {
      const admin = apiKey(server.admin.apiKey);
      const tenant = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'late' } })).body;
      const c = client(server, { sid: tenant.sid, authToken: tenant.authToken });
      await c.send({ to: randomNumber(), timeout: 1 });
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await call(`${server.url}/admin/tenants/${tenant.id}/webhooks`, { headers: admin, json: { url: `${receiver.url}/late`, events: ['verification.expired'] } })).status, 201);
      await server.runtime.core.expiredEvents.sweep();
      await new Promise((r) => setTimeout(r, 1200));
      assert.deepEqual(await expiredRows(tenant.id), []);
    });
  });
}
