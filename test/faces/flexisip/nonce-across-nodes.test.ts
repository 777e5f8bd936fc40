import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAdminKey } from '../../../src/core/bootstrap.js';
import { type SharedNodes, startSharedNodes } from '../../helpers/nodes.js';
import type { ServerProcess } from '../../helpers/process.js';
import { apiKey, call } from '../../helpers/server.js';
import { skipUnless } from '../../helpers/services.js';
import { challengesOf, digestAuthorization } from './world.js';

describe('Digest nonces across nodes sharing PostgreSQL and Redis', { skip: await skipUnless({ postgres: true, redis: true }) }, () => {
  let shared: SharedNodes<unknown> | undefined;
  const nodes: ServerProcess[] = [];
  const domain = 'nodes.sip.example.org';
  const user = { username: 'across-nodes', password: 'secret-pw', domain };

  before(async () => {
    const started = await startSharedNodes(async (core) => {
      const { tenant } = await core.tenants.create(null, { name: 'SIP' });
      return { tenant, key: (await createAdminKey(core, tenant.id)).apiKey };
    });
    shared = started;
    nodes.push(...started.nodes);
    const { tenant, key } = started.prepared;
    const admin = apiKey(key);
    assert.ok((await call(`${nodes[0]!.url}/admin/tenants/${tenant.id}/sip-domains`, { headers: admin, json: { domain } })).status < 300);
    const created = await call(`${nodes[0]!.url}/api/accounts`, { headers: admin, json: { ...user, algorithm: 'SHA-256', activated: true } });
    assert.equal(created.status, 201, created.text);
  });
  after(() => shared?.stop());

  test('a nonce issued by one node is honoured by the other, and a nonce count replayed on either is refused', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const from = { from: `sip:${user.username}@${domain}` };
    const challenge = challengesOf(await call(`${a.url}/api/accounts/me`, { headers: from }))[0]!;
    const first = digestAuthorization(user, challenge, { method: 'GET', uri: '/api/accounts/me', nc: '00000001' });
    const onB = await call(`${b.url}/api/accounts/me`, { headers: { ...from, authorization: first } });
    assert.equal(onB.status, 200);
    const replayOnA = await call(`${a.url}/api/accounts/me`, { headers: { ...from, authorization: first } });
    assert.equal(replayOnA.status, 401);
    assert.equal(replayOnA.body.message, 'Nonce replayed');

    // The same answer sent to both nodes at once: exactly one is accepted.
    const second = digestAuthorization(user, challenge, { method: 'GET', uri: '/api/accounts/me', nc: '00000002' });
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => call(`${nodes[i % 2]!.url}/api/accounts/me`, { headers: { ...from, authorization: second } })));
    assert.equal(answers.filter((r) => r.status === 200).length, 1);
    assert.equal(answers.filter((r) => r.status === 401).length, 5);
  });
});
