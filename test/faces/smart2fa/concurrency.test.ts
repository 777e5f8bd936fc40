/**
 * Limits hold exactly under concurrency: 200 simultaneous sends against a bucket of max 1 accept
 * exactly one — on one process (SQLite, PostgreSQL, PostgreSQL + Redis) and on three processes
 * sharing one PostgreSQL database and one Redis.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type ServerProcess, bootstrapCredentials, startServerProcess } from '../../helpers/process.js';
import { type TestDatabase, createTestDatabase, queryPostgres, sharedNodesEnv, skipUnless } from '../../helpers/services.js';
import { type TestServer, basic, call, startTestServer } from '../../helpers/server.js';
import { randomNumber } from './helpers.js';

const SENDS = 200;

/** Sends SENDS codes at once, each to another number, all keyed on one max-1 limit; answers the status counts. */
async function burst(urls: string[], headers: Record<string, string>): Promise<Map<number, number>> {
  const create = await call(`${urls[0]}/2fa/limits`, { headers, json: { name: `once_${randomBytes(4).toString('hex')}`, buckets: [{ name: 'once', max: 1, interval: 3600 }] } });
  assert.equal(create.status, 200, JSON.stringify(create.body));
  const name = create.body.data.name as string;
  const answers = await Promise.all(
    Array.from({ length: SENDS }, (_, i) =>
      call(`${urls[i % urls.length]}/2fa/send`, {
        headers,
        json: { service: 'burst', from: '+14155550000', to: randomNumber(), body: 'code {code}', limits: { [name]: 'shared-key' } },
      }),
    ),
  );
  const counts = new Map<number, number>();
  for (const a of answers) counts.set(a.body.code, (counts.get(a.body.code) ?? 0) + 1);
  return counts;
}

const singles = [
  { name: 'one process on SQLite', dialect: 'sqlite', redis: false, needs: {} },
  { name: 'one process on PostgreSQL', dialect: 'postgres', redis: false, needs: { postgres: true } },
  { name: 'one process on PostgreSQL with Redis', dialect: 'postgres', redis: true, needs: { postgres: true, redis: true } },
] as const;

for (const c of singles) {
  describe(`200 simultaneous sends on ${c.name}`, { skip: await skipUnless(c.needs) }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(c.dialect, { redis: c.redis });
    });
    after(() => server.close());

    test('a bucket of max 1 accepts exactly one, the rest answer 453', async () => {
      const counts = await burst([server.url], basic(server.admin.tenant.sid, server.admin.tenant.authToken));
      assert.equal(counts.get(200), 1, JSON.stringify([...counts]));
      assert.equal(counts.get(453), SENDS - 1);
      const rows = await server.runtime.storage.db.selectFrom('verifications').select('id').where('service', '=', 'burst').execute();
      assert.equal(rows.length, 1);
    });
  });
}

describe('200 simultaneous sends on three processes sharing PostgreSQL and Redis', { skip: await skipUnless({ postgres: true, redis: true }) }, () => {
  let database: TestDatabase;
  const nodes: ServerProcess[] = [];
  let tenant: { sid: string; authToken: string };
  before(async () => {
    database = await createTestDatabase('postgres');
    const env = { ...sharedNodesEnv(database), LOG_LEVEL: 'warn' };
    // One at a time: the first migrates and bootstraps, the others find the database ready.
    nodes.push(await startServerProcess({ ...env, LOG_LEVEL: 'info' }));
    tenant = bootstrapCredentials(database.dataDir).tenant;
    nodes.push(await startServerProcess({ ...env, LOG_LEVEL: 'info' }));
    nodes.push(await startServerProcess({ ...env, LOG_LEVEL: 'info' }));
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await database.drop();
  });

  test('a bucket of max 1 accepts exactly one send across the three, round-robin', async () => {
    const counts = await burst(nodes.map((n) => n.url), basic(tenant.sid, tenant.authToken));
    assert.equal(counts.get(200), 1, JSON.stringify([...counts]));
    // Every other send is refused: 453, or 503 when a node's event loop, three servers and the load on two
    // cores, read a Redis answer after its 500 ms bound (the fail-fast answer, which sends nothing; seen
    // twice in 200 on a loaded machine). What must hold is one code written, whatever the refusals said.
    assert.equal((counts.get(453) ?? 0) + (counts.get(503) ?? 0), SENDS - 1, JSON.stringify([...counts]));
    assert.ok((counts.get(503) ?? 0) <= SENDS / 20, JSON.stringify([...counts]));
    const rows = await queryPostgres(database.url, "select count(*)::int as n from verifications where service = 'burst'");
    assert.equal(rows[0]!.n, 1);
  });

  test('two right answers on two processes give exactly one 200', async () => {
    const headers = basic(tenant.sid, tenant.authToken);
    const to = randomNumber();
    const sent = await call(`${nodes[0]!.url}/2fa/send`, { headers, json: { service: 'race', from: '+14155550000', to, body: 'code {code}' } });
    assert.equal(sent.status, 200);
    // The outbox is readable by an admin key; this test reads the row the outbox channel wrote instead.
    const rows = await queryPostgres(database.url, 'select body from outbox_messages where "to" = $1', [to]);
    const code = /\d{6}/.exec(rows[0]!.body)![0];
    const answers = await Promise.all(nodes.flatMap((n) => [n, n]).map((n) => call(`${n.url}/2fa/verify`, { headers, json: { requestId: sent.body.requestID, code } })));
    assert.equal(answers.filter((a) => a.status === 200).length, 1);
    assert.equal(answers.filter((a) => a.body.code === 471).length, answers.length - 1);
  });
});
