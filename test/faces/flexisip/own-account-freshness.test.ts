// GET /api/accounts/me keeps the account it read for a moment (core/fresh-cache.ts). These prove the
// bounds: a change made through this node is seen by the very next request, one made through another
// node within a second.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SharedNodes } from '../../helpers/nodes.js';
import type { ServerProcess } from '../../helpers/process.js';
import { call } from '../../helpers/server.js';
import { DIALECTS, skipDialect, skipUnless } from '../../helpers/services.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';
import { type World, apiKeyOf, createAccount, sipNodes, uniqueName, world } from './world.js';

const rename = (w: { url: string; admin: Record<string, string> }, user: { id: number; username: string }, display_name: string) =>
  call(`${w.url}/api/accounts/${user.id}`, { method: 'PUT', headers: w.admin, json: { username: user.username, password: 'secret-pw', algorithm: 'SHA-256', display_name } });

for (const dialect of DIALECTS) {
  describe(`an account reading itself on one node (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());

    test('sees an admin change, a block and a deletion on the very next request', async () => {
      const user = await createAccount(w, { display_name: 'First' });
      const key = await apiKeyOf(w, user);
      const me = () => call(`${w.url}/api/accounts/me`, { headers: key });
      assert.equal((await me()).body.display_name, 'First');
      assert.equal((await me()).body.display_name, 'First');
      assert.equal((await rename(w, user, 'Second')).status, 200);
      assert.equal((await me()).body.display_name, 'Second');
      assert.equal((await call(`${w.url}/api/accounts/${user.id}/block`, { method: 'POST', headers: w.admin })).status, 200);
      assert.equal((await me()).status, 403);
      assert.equal((await call(`${w.url}/api/accounts/${user.id}/unblock`, { method: 'POST', headers: w.admin })).status, 200);
      assert.equal((await me()).status, 200);
      assert.equal((await call(`${w.url}/api/accounts/${user.id}`, { method: 'DELETE', headers: w.admin })).status, 200);
      assert.ok([401, 403, 404].includes((await me()).status));
    });
  });
}

describe('an account reading itself across nodes sharing PostgreSQL and Redis', { skip: await skipUnless({ postgres: true, redis: true }) }, () => {
  let shared: SharedNodes<{ admin: Record<string, string> }> | undefined;
  const nodes: ServerProcess[] = [];
  const domain = `${uniqueName('d')}.sip.example.org`;
  let admin: Record<string, string>;

  before(async () => {
    shared = await sipNodes(domain);
    nodes.push(...shared.nodes);
    admin = shared.prepared.admin;
  });
  after(() => shared?.stop());

  test('a change made through one node is answered by the other within a second', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const wa = { url: a.url, admin, domain } as unknown as World;
    const user = await createAccount(wa, { display_name: 'Before' });
    const key = await apiKeyOf(wa, user);
    const meOnB = () => call(`${b.url}/api/accounts/me`, { headers: key });
    // Read on B first, so that B holds the account when A changes it.
    assert.equal((await meOnB()).body.display_name, 'Before');
    assert.equal((await rename({ url: a.url, admin }, user, 'After')).status, 200);
    const changed = Date.now();
    let seenAfter = -1;
    while (Date.now() - changed < 3000) {
      if ((await meOnB()).body.display_name === 'After') {
        seenAfter = Date.now() - changed;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(seenAfter >= 0 && seenAfter < 1000, `seen after ${seenAfter} ms`);
  });
});
