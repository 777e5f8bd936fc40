/**
 * The same guards as tries-and-replay-under-concurrency, with the concurrent requests spread over
 * two `serve` processes sharing PostgreSQL and Redis: no guard may rest on one process's memory or
 * on one process running its statements one after another.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type SharedNodes, startSharedNodes } from '../../helpers/nodes.js';
import type { ServerProcess } from '../../helpers/process.js';
import { queryPostgres, skipUnless } from '../../helpers/services.js';
import { type Reply, bearer, call } from '../../helpers/server.js';
import { totp, wrong } from '../../faces/comm100/login-helpers.js';

interface Agent {
  id: number;
  secret: string;
  backup: string;
  tokens: string[];
}

describe('endlogin tries, lock and replay across two server processes sharing PostgreSQL and Redis', { skip: await skipUnless({ postgres: true, redis: true }) }, () => {
  let shared: SharedNodes<void> | undefined;
  const nodes: ServerProcess[] = [];
  const agents: Agent[] = [];

  before(async () => {
    shared = await startSharedNodes(async (core) => {
      const partner = (await core.tenants.create(null, { name: 'Partner' })).tenant.id;
      const site = (await core.tenants.create(null, { name: 'Site', parent: partner })).tenant.id;
      // Tokens are made here, before the nodes start (a token lives 5 minutes): one agent per test case.
      for (const [i, count] of [1, 6, 1, 6].entries()) {
        const id = (await core.accounts.create(null, { tenant: site, email: `agent${i}@example.com` })).id;
        const { secretKey } = core.twoFactor.createSecret('Partner', `agent${i}`);
        await core.twoFactor.saveConfig(id, secretKey, totp(secretKey, -1));
        const backup = await core.twoFactor.generateBackupCode(id);
        const tokens = [];
        for (let j = 0; j < count; j++) tokens.push(await core.login.issuePreLoginToken({ id, tenantId: site, parentId: partner, role: 'agent' }, 'verify', false, null));
        agents.push({ id, secret: secretKey, backup, tokens });
      }
    });
    nodes.push(...shared.nodes);
  });
  after(() => shared?.stop());

  /** The i-th request goes to node i mod 2. */
  const endlogin = (i: number, preLoginToken: string, code: string) => call(`${nodes[i % 2]!.url}/global/endlogin`, { json: { preLoginToken, code } });
  const tally = (replies: Reply[]) => {
    const out: Record<string, number> = {};
    for (const r of replies) {
      const key = r.status === 200 ? 'ok' : String(r.body.error === 'unauthorized' ? r.body.message : r.body.error);
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  };
  const count = async (text: string, values: unknown[]) => Number((await queryPostgres(shared!.database.url, text, values))[0]!.n);
  const events = (accountId: number, event: string) => count('select count(*) as n from audit_events where account_id = $1 and event = $2', [accountId, event]);

  test('30 concurrent wrong codes on one preLoginToken over both nodes: exactly 5 checked, 25 out of tries', async () => {
    const { id, secret, tokens } = agents[0]!;
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => endlogin(i, tokens[0]!, wrong(secret))));
    assert.deepEqual(tally(replies), { 'code verify failed': 5, 'Number of retries exceeded': 25 });
    assert.equal(await count('select failures as n from login_locks where account_id = $1', [id]), 5);
    assert.equal(await events(id, 'verify_failure'), 5);
  });

  test('30 concurrent wrong codes on six tokens over both nodes: exactly 10 checked, one lock, 20 refused as locked', async () => {
    const { id, secret, tokens } = agents[1]!;
    const replies = await Promise.all(tokens.flatMap((t, j) => Array.from({ length: 5 }, (_, i) => endlogin(i + j, t, wrong(secret)))));
    assert.deepEqual(tally(replies), { 'code verify failed': 9, 'account locked': 21 });
    assert.equal(await events(id, 'verify_failure'), 10);
    assert.equal(await events(id, 'lock'), 1);
  });

  test('5 concurrent right answers on one preLoginToken over both nodes: exactly one JWT', async () => {
    const { secret, backup, tokens } = agents[2]!;
    const codes = [totp(secret, 0), backup, totp(secret, 1), totp(secret, 0), totp(secret, 1)];
    const replies = await Promise.all(codes.map((code, i) => endlogin(i, tokens[0]!, code)));
    assert.equal(replies.filter((r) => r.status === 200).length, 1, JSON.stringify(tally(replies)));
    assert.equal(await count('select count(*) as n from pre_login_tokens where account_id = $1', [agents[2]!.id]), 0, 'the token is spent');
  });

  test('one TOTP code sent at once on six tokens over both nodes logs in once, and neither node\'s /2fa/code:verify accepts it after', async () => {
    const { secret, tokens } = agents[3]!;
    const code = totp(secret);
    const replies = await Promise.all(tokens.map((t, i) => endlogin(i, t, code)));
    assert.deepEqual(tally(replies), { ok: 1, 'code verify failed': 5 });
    const headers = bearer(replies.find((r) => r.status === 200)!.body.jwtToken);
    for (const node of nodes) {
      assert.deepEqual((await call(`${node.url}/2fa/code:verify`, { headers, json: { secretKey: secret, code } })).body, { result: 'fail' });
    }
  });
});
