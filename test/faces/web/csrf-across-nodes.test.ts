/**
 * The pages' CSRF token is an HMAC under a key kept (sealed) in the database, not in a process: a form
 * one node rendered is accepted by another, and a token bound to another session is refused by both.
 * Two real `serve` processes share PostgreSQL and Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bootstrapIfEmpty } from '../../../src/core/bootstrap.js';
import { type SharedNodes, startSharedNodes } from '../../helpers/nodes.js';
import type { ServerProcess } from '../../helpers/process.js';
import { skipUnless } from '../../helpers/services.js';

const FORM = 'application/x-www-form-urlencoded';

describe('CSRF tokens across nodes (PostgreSQL + Redis)', { skip: await skipUnless({ postgres: true, redis: true }) }, () => {
  let shared: SharedNodes<string> | undefined;
  let a: ServerProcess;
  let b: ServerProcess;
  before(async () => {
    shared = await startSharedNodes(async (core) => (await bootstrapIfEmpty(core))!.apiKey);
    [a, b] = shared.nodes as [ServerProcess, ServerProcess];
  });
  after(() => shared?.stop());

  const tokenOf = async (node: ServerProcess, cookie: string) => {
    const html = await (await fetch(`${node.url}/console`, { headers: { cookie } })).text();
    return html.match(/name="_csrf" value="([^"]+)"/)![1]!;
  };
  const post = (node: ServerProcess, cookie: string, fields: Record<string, string>) =>
    fetch(`${node.url}/console/tenants`, { method: 'POST', headers: { 'content-type': FORM, cookie }, body: new URLSearchParams(fields).toString(), redirect: 'manual' });

  test('a form node A rendered is accepted by node B; a planted cookie and its field are refused by both', async () => {
    const key = `gh_console=${shared!.prepared}`;
    const token = await tokenOf(a, key);
    assert.equal(await tokenOf(b, key), token, 'both nodes derive the same token for the session');
    const created = await post(b, key, { _csrf: token, name: 'Across' });
    assert.equal(created.status, 200);
    assert.match(await created.text(), /Created Across/);
    const planted = 'P'.repeat(43);
    for (const node of [a, b]) assert.equal((await post(node, `gh_csrf=${planted}; ${key}`, { _csrf: planted, name: 'Planted' })).status, 403);
  });
});
