/**
 * Three `serve` processes sharing PostgreSQL + Redis post one tenant's events through the shared
 * delivery queue: 300 sends spread over the three, each raising verification.sent, reach the HTTPS
 * receiver once each (300 distinct webhook-ids, 300 posts: no delivery posted twice), every one
 * verified by standardwebhooks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { bootstrapIfEmpty } from '../../../src/core/bootstrap.js';
import type { Caller } from '../../../src/core/callers.js';
import { type Receiver, startReceiver } from '../../helpers/https-receiver.js';
import { drainedIn } from '../../helpers/delivery.js';
import { type SharedNodes, startSharedNodes } from '../../helpers/nodes.js';
import { basic, call } from '../../helpers/server.js';
import { skipUnless } from '../../helpers/services.js';
import { randomNumber } from '../smart2fa/helpers.js';
import { openStorage } from '../../../src/storage/storage.js';

const SENDS = 300;

describe('webhooks across three processes (PostgreSQL + Redis)', { skip: await skipUnless({ postgres: true, redis: true }) }, () => {
  let receiver: Receiver;
  let nodes: SharedNodes<{ sid: string; authToken: string; secret: string }>;

  before(async () => {
    receiver = await startReceiver();
    nodes = await startSharedNodes(
      async (core) => {
        await bootstrapIfEmpty(core);
        const { tenant, authToken } = await core.tenants.create(null, { name: 'across' });
        const admin: Caller = { tenantId: tenant.id, tenantSid: tenant.sid, tenantPath: '/', accountId: null, role: 'admin', via: 'api_key' };
        const { secret } = await core.webhooks.register(admin, tenant.id, { url: `${receiver.url}/across`, events: ['verification.sent'] });
        return { sid: tenant.sid, authToken, secret };
      },
      { count: 3, env: { GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE: 'true', GATEHOUSE_WEBHOOKS_CA: receiver.ca } },
    );
  });
  after(async () => {
    await nodes?.stop();
    await receiver?.close();
  });

  it(`${SENDS} events raised on three nodes are each posted once`, async () => {
    const { sid, authToken, secret } = nodes.prepared;
    const headers = basic(sid, authToken);
    const sent = await Promise.all(
      Array.from({ length: SENDS }, (_, i) =>
        call(`${nodes.nodes[i % 3]!.url}/2fa/send`, { headers, json: { service: 'across', from: '+15550000000', to: randomNumber(), body: 'code {code}' } }),
      ),
    );
    assert.equal(sent.filter((r) => r.status === 200).length, SENDS);
    await receiver.waitFor(SENDS, 60_000);
    const storage = openStorage({ dialect: 'postgres', url: nodes.database.url });
    try {
      await drainedIn(storage.db, 30_000);
    } finally {
      await storage.close();
    }
    const wh = new Webhook(secret);
    const ids = receiver.received.map((r) => {
      wh.verify(r.body, r.headers as Record<string, string>);
      return r.headers['webhook-id'];
    });
    assert.equal(new Set(ids).size, SENDS, 'every event arrived');
    assert.equal(ids.length, SENDS, 'none arrived twice');
    const requestIds = new Set(receiver.received.map((r) => (JSON.parse(r.body) as { data: { requestId: string } }).data.requestId));
    assert.deepEqual([...requestIds].sort(), sent.map((r) => r.body.requestID as string).sort());
  });
});
