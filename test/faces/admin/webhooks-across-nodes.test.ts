/**
 * Three `serve` processes sharing PostgreSQL + Redis post one tenant's events through the shared
 * delivery queue: 300 sends spread over the three, each acknowledged one raising verification.sent,
 * reach the HTTPS receiver once each (as many distinct webhook-ids as posts: no delivery posted
 * twice, none lost), every one verified by standardwebhooks.
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

  it(`${SENDS} events raised on three nodes are each posted once`, async (t) => {
    const { sid, authToken, secret } = nodes.prepared;
    const headers = basic(sid, authToken);
    // In waves of 30 at once: the machine's PostgreSQL (100 connections) is shared with other tests.
    const sent = [];
    for (let wave = 0; wave < SENDS; wave += 30) {
      sent.push(...(await Promise.all(
        Array.from({ length: Math.min(30, SENDS - wave) }, (_, i) =>
          call(`${nodes.nodes[(wave + i) % 3]!.url}/2fa/send`, { headers, json: { service: 'across', from: '+15550000000', to: randomNumber(), body: 'code {code}' } }),
        ),
      )));
    }
    // This machine's PostgreSQL is shared with other tests: a send refused 503 (too many clients) was
    // not acknowledged and raises nothing; every acknowledged one must be posted exactly once.
    const acknowledged = sent.filter((r) => r.status === 200).map((r) => r.body.requestID as string);
    assert.ok(sent.every((r) => r.status === 200 || r.status === 503), JSON.stringify(sent.filter((r) => r.status !== 200 && r.status !== 503).slice(0, 3).map((r) => [r.status, r.text])));
    assert.ok(acknowledged.length >= SENDS / 2, `only ${acknowledged.length} of ${SENDS} sends were acknowledged`);
    t.diagnostic(`${acknowledged.length} of ${SENDS} sends acknowledged (the rest 503: the shared PostgreSQL was full)`);
    await receiver.waitFor(acknowledged.length, 60_000);
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
    const seen = new Map<string, number>();
    for (const id of ids) seen.set(id as string, (seen.get(id as string) ?? 0) + 1);
    const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    if (twice.length) {
      const db = openStorage({ dialect: 'postgres', url: nodes.database.url });
      const rows = await db.db.selectFrom('webhook_deliveries').select(['sid', 'attempts', 'status', 'last_error', 'last_status']).where('sid', 'in', twice).execute();
      const jobs = await db.db.selectFrom('delivery_jobs').select(['ref', 'claims', 'attempts', 'state', 'last_error']).where('ref', 'in', twice).execute();
      t.diagnostic(`posted twice: ${JSON.stringify(rows)} ${JSON.stringify(jobs)}`);
      await db.close();
    }
    assert.equal(new Set(ids).size, acknowledged.length, 'every event arrived');
    assert.equal(ids.length, acknowledged.length, 'none arrived twice');
    const requestIds = new Set(receiver.received.map((r) => (JSON.parse(r.body) as { data: { requestId: string } }).data.requestId));
    assert.deepEqual([...requestIds].sort(), acknowledged.sort());
  });
});
