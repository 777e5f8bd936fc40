/**
 * A revocation made through one node is refused by another within a second: each node keeps
 * credentials and allow lists in its fresh cache (core/fresh-cache.ts), which nobody tells of the
 * other's writes, so only the entry's lifetime bounds how long the old row is served. Two real
 * `serve` processes share PostgreSQL and Redis; node B is warmed just before node A changes the row,
 * then polled until it refuses. Without the lifetime B would serve the cached row for ever.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { bootstrapIfEmpty } from '../../../src/core/bootstrap.js';
import { type SharedNodes, startSharedNodes } from '../../helpers/nodes.js';
import type { ServerProcess } from '../../helpers/process.js';
import { type Reply, apiKey, basic, call } from '../../helpers/server.js';
import { skipUnless } from '../../helpers/services.js';

const BOUND_MS = 1000;
/** Polled this long at most, so that a node that never sees the change fails on the bound, not the test timeout. */
const GIVE_UP_MS = 5000;

describe('a revocation through node A is refused by node B within a second (PostgreSQL + Redis)', { skip: await skipUnless({ postgres: true, redis: true }) }, () => {
  let shared: SharedNodes<unknown> | undefined;
  let a: ServerProcess;
  let b: ServerProcess;
  let admin: Record<string, string>;
  let tenant: { id: number; sid: string; authToken: string };
  let n = 0;

  before(async () => {
    const started = await startSharedNodes(async (core) => (await bootstrapIfEmpty(core))!.apiKey, { env: { GATEHOUSE_OUTBOX: '1' } });
    shared = started;
    [a, b] = started.nodes as [ServerProcess, ServerProcess];
    admin = apiKey(started.prepared);
    tenant = (await call(`${a.url}/admin/tenants`, { headers: admin, json: { name: 'acme' } })).body;
  });
  after(() => shared?.stop());

  const own = (node: ServerProcess) => `${node.url}/admin/tenants/${tenant.id}`;
  async function agentKey() {
    const agent = (await call(`${a.url}/admin/accounts`, { headers: admin, json: { tenant: tenant.sid, email: `agent${++n}@acme.test`, password: 'agent password 1' } })).body;
    const key = (await call(`${a.url}/admin/accounts/${agent.id}/api-keys`, { headers: admin, json: {} })).body;
    return { accountId: agent.id as number, keyId: key.id as number, apiKey: key.apiKey as string };
  }

  /**
   * Warms node B (the request succeeds there), changes the row through node A, then asks B until it
   * refuses; answers how long B went on accepting after A had answered.
   */
  async function refusedByB(onB: () => Promise<Reply>, refused: number, change: () => Promise<Reply>): Promise<number> {
    assert.equal((await onB()).status, 200, 'node B accepts before the change');
    const changed = await change();
    assert.ok(changed.status < 300, `the change through node A: ${changed.status} ${changed.text}`);
    const at = Date.now();
    let last: Reply;
    do {
      last = await onB();
      if (last.status === refused) return Date.now() - at;
      assert.equal(last.status, 200, last.text);
      await sleep(20);
    } while (Date.now() - at < GIVE_UP_MS);
    assert.fail(`node B still accepted ${GIVE_UP_MS} ms after the change`);
  }

  test('a revoked API key', async () => {
    const agent = await agentKey();
    const took = await refusedByB(() => call(own(b), { headers: apiKey(agent.apiKey) }), 401, () =>
      call(`${a.url}/admin/api-keys/${agent.keyId}`, { method: 'DELETE', headers: admin }),
    );
    assert.ok(took <= BOUND_MS, `node B refused after ${took} ms`);
  });

  test('a revoked tenant auth token', async () => {
    const token = (await call(`${a.url}/admin/tenants/${tenant.id}/auth-tokens`, { method: 'POST', headers: admin })).body;
    const took = await refusedByB(() => call(own(b), { headers: basic(tenant.sid, token.authToken) }), 401, () =>
      call(`${a.url}/admin/tenants/${tenant.id}/auth-tokens/${token.id}`, { method: 'DELETE', headers: admin }),
    );
    assert.ok(took <= BOUND_MS, `node B refused after ${took} ms`);
  });

  test('a blocked account', async () => {
    const agent = await agentKey();
    const took = await refusedByB(() => call(own(b), { headers: apiKey(agent.apiKey) }), 403, () =>
      call(`${a.url}/admin/accounts/${agent.accountId}`, { method: 'PATCH', headers: admin, json: { blocked: true } }),
    );
    assert.ok(took <= BOUND_MS, `node B refused after ${took} ms`);
  });

  test('a country allow list', async () => {
    const headers = basic(tenant.sid, tenant.authToken);
    let i = 0;
    // Another UK number each time: the default limit allows one send a minute to a number.
    const sendOnB = () => call(`${b.url}/2fa/send`, { headers, json: { service: '2FA', from: '+14155550000', to: `+4477123${String(++i).padStart(5, '0')}`, body: 'Your code is {code}' } });
    const took = await refusedByB(sendOnB, 403, () => call(`${a.url}/2fa/settings/countries`, { method: 'PUT', headers, json: { allowedCallingCodes: ['1'] } }));
    assert.ok(took <= BOUND_MS, `node B refused after ${took} ms`);
  });
});
