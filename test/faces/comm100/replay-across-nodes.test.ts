import assert from 'node:assert/strict';
import { sha256Hex } from '../../../src/core/crypto.js';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { loadConfig } from '../../../src/config.js';
import { type Runtime, openRuntime } from '../../../src/runtime.js';
import { timeStep } from '../../../src/core/totp/otp.js';
import { type ServerProcess, startServerProcess } from '../../helpers/process.js';
import { REDIS_URL, type TestDatabase, createTestDatabase, redisPrefix, skipUnless } from '../../helpers/services.js';
import { bearer, call } from '../../helpers/server.js';
import { codeAt, nowCode } from './twofactor-world.js';

describe('a TOTP code is accepted once across nodes sharing PostgreSQL and Redis', { skip: await skipUnless({ postgres: true, redis: true }) }, () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  const nodes: ServerProcess[] = [];
  let agentId: number;
  let headers: Record<string, string>;
  let prefix: string;

  const openNode = () => openRuntime(loadConfig({ NODE_ENV: 'test', ...env }));

  before(async () => {
    database = await createTestDatabase('postgres');
    prefix = redisPrefix();
    env = { DATABASE_URL: database.url, GATEHOUSE_DATA_DIR: database.dataDir, REDIS_URL, GATEHOUSE_REDIS_PREFIX: prefix };
    // Migrate, make the master key file and the people first, so the nodes start on a ready database.
    const runtime = await openNode();
    const site = (await runtime.core.tenants.create(null, { name: 'Site' })).tenant.id;
    agentId = (await runtime.core.accounts.create(null, { tenant: site, email: 'agent@site.example', role: 'agent' })).id;
    headers = bearer((await runtime.core.credentials.signJwt(agentId)).token);
    await runtime.close();
    for (let i = 0; i < 2; i++) nodes.push(await startServerProcess(env));
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await database.drop();
  });

  test('a code checked on one node fails on the other, and of concurrent checks on both exactly one succeeds', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const { secretKey } = (await call(`${a.url}/2fa/secretkey`, { method: 'POST', headers })).body;
    const code = nowCode(secretKey);
    assert.deepEqual((await call(`${a.url}/2fa/code:verify`, { headers, json: { secretKey, code } })).body, { result: 'success' });
    assert.deepEqual((await call(`${b.url}/2fa/code:verify`, { headers, json: { secretKey, code } })).body, { result: 'fail' });

    const next = (await call(`${b.url}/2fa/secretkey`, { method: 'POST', headers })).body.secretKey;
    const nextCode = nowCode(next);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call(`${nodes[i % 2]!.url}/2fa/code:verify`, { headers, json: { secretKey: next, code: nextCode } })),
    );
    assert.equal(answers.filter((r) => r.body.result === 'success').length, 1);
  });

  test('the setup code on one node and each login code are spent for every node', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const { secretKey } = (await call(`${a.url}/global/2faSecret`, { headers })).body;
    const s = timeStep(Date.now());
    const created = await call(`${a.url}/global/agent2faConfigs`, { headers, json: { secretKey, code: codeAt(secretKey, s) } });
    assert.equal(created.status, 200);
    const redis = new Redis(REDIS_URL);
    try {
      assert.equal(await redis.exists(`${prefix}totp-step:${sha256Hex(secretKey)}:${s}`), 1, 'the claim lives in the shared Redis');
    } finally {
      redis.disconnect();
    }
    const setupAgain = await call(`${b.url}/global/agent2faConfigs/${agentId}`, { method: 'PUT', headers, json: { secretKey, code: codeAt(secretKey, s) } });
    assert.equal(setupAgain.status, 400, 'the setup code is spent on every node');
    assert.equal(setupAgain.body.error, 'code verify failed');
    // Two more nodes in this process: separate pools and Redis connections, same shared state.
    const one: Runtime = await openNode();
    const two: Runtime = await openNode();
    try {
      assert.equal(await one.core.twoFactor.verifyTotp(agentId, codeAt(secretKey, s)), 'replayed');
      const results = await Promise.all([one, two, one, two].map((r) => r.core.twoFactor.verifyTotp(agentId, codeAt(secretKey, s + 1))));
      assert.deepEqual(results.filter((r) => r === 'ok').length, 1);
      assert.equal(await two.core.twoFactor.verifyTotp(agentId, codeAt(secretKey, s + 1)), 'replayed');
    } finally {
      await one.close();
      await two.close();
    }
  });
});
