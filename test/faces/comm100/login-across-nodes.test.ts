import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type SharedNodes, startSharedNodes } from '../../helpers/nodes.js';
import type { ServerProcess } from '../../helpers/process.js';
import { skipUnless } from '../../helpers/services.js';
import { call } from '../../helpers/server.js';
import { PASSWORD, totp, wrong } from './login-helpers.js';

describe('endlogin across two server processes sharing PostgreSQL and Redis', { skip: await skipUnless({ postgres: true, redis: true }) }, () => {
  let shared: SharedNodes<void> | undefined;
  const nodes: ServerProcess[] = [];
  let partner: number;
  let site: number;
  const agents: Array<{ email: string; secret: string }> = [];

  before(async () => {
    shared = await startSharedNodes(async (core) => {
      partner = (await core.tenants.create(null, { name: 'Partner' })).tenant.id;
      site = (await core.tenants.create(null, { name: 'Site', parent: partner })).tenant.id;
      for (let i = 0; i < 2; i++) {
        const id = (await core.accounts.create(null, { tenant: site, email: `agent${i}@example.com`, password: PASSWORD })).id;
        const { secretKey } = core.twoFactor.createSecret('Partner', `agent${i}`);
        await core.twoFactor.saveConfig(id, secretKey, totp(secretKey, -1));
        agents.push({ email: `agent${i}@example.com`, secret: secretKey });
      }
    });
    nodes.push(...shared.nodes);
  });
  after(() => shared?.stop());

  const login = async (node: ServerProcess, email: string) => {
    const r = await call(`${node.url}/global/jwtToken/login`, { json: { partnerId: partner, siteId: site, email, password: PASSWORD } });
    assert.equal(r.body.nextStep, 'isNeed2faVerify', r.text);
    return r.body.preLoginToken as string;
  };

  test('a code accepted on one node is refused on the other, and of concurrent endlogins with one code exactly one succeeds', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const { email, secret } = agents[0]!;
    const code = totp(secret);
    const first = await call(`${a.url}/global/endlogin`, { json: { preLoginToken: await login(a, email), code } });
    assert.equal(first.status, 200, first.text);
    const replay = await call(`${b.url}/global/endlogin`, { json: { preLoginToken: await login(b, email), code } });
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'code verify failed');

    const next = totp(secret, 1);
    const tokens = await Promise.all(Array.from({ length: 6 }, (_, i) => login(nodes[i % 2]!, email)));
    const answers = await Promise.all(tokens.map((t, i) => call(`${nodes[(i + 1) % 2]!.url}/global/endlogin`, { json: { preLoginToken: t, code: next } })));
    assert.equal(answers.filter((r) => r.status === 200).length, 1);
  });

  test('a preLoginToken\'s tries and the account lock are counted across nodes', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const { email, secret } = agents[1]!;
    const token = await login(a, email);
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) remaining.push((await call(`${nodes[i % 2]!.url}/global/endlogin`, { json: { preLoginToken: token, code: wrong(secret) } })).body.retryRemainingNumber);
    assert.deepEqual(remaining, ['4', '3', '2', '1', '0']);
    assert.equal((await call(`${b.url}/global/endlogin`, { json: { preLoginToken: token, code: totp(secret) } })).body.error, 'Number of retries exceeded');
    const second = await login(b, email);
    const errors: string[] = [];
    for (let i = 0; i < 5; i++) errors.push((await call(`${nodes[i % 2]!.url}/global/endlogin`, { json: { preLoginToken: second, code: wrong(secret) } })).body.error);
    assert.equal(errors[4], 'account locked');
    assert.equal((await call(`${a.url}/global/endlogin`, { json: { preLoginToken: await login(a, email), code: totp(secret) } })).body.error, 'account locked');
  });
});
