/**
 * The Digest guessing limit holds across nodes: wrong answers sent to two nodes sharing PostgreSQL
 * and Redis count together, so the address is refused on both once their sum reaches the limit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SOURCE_LIMIT } from '../../../src/core/guessing/guessing.js';
import type { SharedNodes } from '../../helpers/nodes.js';
import type { ServerProcess } from '../../helpers/process.js';
import { call } from '../../helpers/server.js';
import { skipUnless } from '../../helpers/services.js';
import { challengesOf, digestAuthorization, sipNodes } from './world.js';

describe('Digest guessing limits across nodes sharing PostgreSQL and Redis', { skip: await skipUnless({ postgres: true, redis: true }) }, () => {
  let shared: SharedNodes<{ admin: Record<string, string> }> | undefined;
  const domain = 'guessing-nodes.sip.example.org';
  const user = { username: 'guessed', password: 'secret-pw', domain };

  before(async () => {
    shared = await sipNodes(domain);
    const created = await call(`${shared.nodes[0]!.url}/api/accounts`, { headers: shared.prepared.admin, json: { ...user, algorithm: 'MD5', activated: true } });
    assert.equal(created.status, 200, created.text); // account creation answers 200, as upstream
  });
  after(() => shared?.stop());

  test(`${SOURCE_LIMIT} wrong answers split between two nodes refuse the address on both, the right password included`, async () => {
    const [a, b] = shared!.nodes as [ServerProcess, ServerProcess];
    const from = { from: `sip:${user.username}@${domain}` };
    const challenge = challengesOf(await call(`${a.url}/api/accounts/me`, { headers: from }))[0]!;
    const answer = (node: ServerProcess, nc: number, password: string) =>
      call(`${node.url}/api/accounts/me`, {
        headers: { ...from, authorization: digestAuthorization({ ...user, password }, challenge, { method: 'GET', uri: '/api/accounts/me', nc: nc.toString(16).padStart(8, '0') }) },
      });
    for (let nc = 1; nc <= SOURCE_LIMIT; nc++) assert.equal((await answer(nc % 2 ? a : b, nc, `guess-${nc}`)).status, 401);
    assert.equal((await answer(a, SOURCE_LIMIT + 1, user.password)).status, 429);
    assert.equal((await answer(b, SOURCE_LIMIT + 2, user.password)).status, 429);
  });
});
