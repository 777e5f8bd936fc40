import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SharedNodes } from '../../helpers/nodes.js';
import type { ServerProcess } from '../../helpers/process.js';
import { call } from '../../helpers/server.js';
import { skipUnless } from '../../helpers/services.js';
import { challengesOf, digestAuthorization, sipNodes } from './world.js';

describe('Digest nonces across nodes sharing PostgreSQL and Redis', { skip: await skipUnless({ postgres: true, redis: true }) }, () => {
  let shared: SharedNodes<{ admin: Record<string, string> }> | undefined;
  const nodes: ServerProcess[] = [];
  const domain = 'nodes.sip.example.org';
  const user = { username: 'across-nodes', password: 'secret-pw', domain };

  before(async () => {
    shared = await sipNodes(domain);
    nodes.push(...shared.nodes);
    const created = await call(`${nodes[0]!.url}/api/accounts`, { headers: shared.prepared.admin, json: { ...user, algorithm: 'SHA-256', activated: true } });
    assert.equal(created.status, 200, created.text);
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
