/**
 * A send is one transaction on PostgreSQL, as it is on SQLite: concurrent sends to one recipient
 * neither deadlock nor leave two live codes, and a process killed under send load leaves no
 * half-written send (every request row has its 'created' event, every delivered row its 'delivery'
 * event, every send to the outbox its message).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type ServerProcess, bootstrapCredentials, startServerProcess } from '../../helpers/process.js';
import { type TestDatabase, createTestDatabase, sharedNodesEnv, skipUnless } from '../../helpers/services.js';
import { type TestServer, basic, call, startTestServer } from '../../helpers/server.js';
import { randomNumber } from './helpers.js';

const CONNECTIONS = 20;

/**
 * Keeps CONNECTIONS sends in flight until `ms` have passed or the server is gone; answers every
 * status seen (0: no answer).
 */
async function load(url: string, headers: Record<string, string>, ms: number, body: () => Record<string, unknown>): Promise<number[]> {
  const statuses: number[] = [];
  const end = Date.now() + ms;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < end && !statuses.includes(0)) {
        const res = await call(`${url}/2fa/send`, { headers, json: body() }).catch(() => ({ status: 0 }));
        statuses.push(res.status);
      }
    }),
  );
  return statuses;
}

/** Rows that break a send's atomicity, read straight from the database. */
async function halfWritten(db: pg.Client, service: string) {
  const { rows } = await db.query(
    `select v.request_id, v.status, v.delivery_status,
            exists (select 1 from verification_events e where e.request_id = v.request_id and e.type = 'created') as created,
            exists (select 1 from verification_events e where e.request_id = v.request_id and e.type = 'delivery') as delivery
       from verifications v where v.service = $1`,
    [service],
  );
  const broken = rows.filter((r) => !r.created || (r.delivery_status !== 'pending' && !r.delivery));
  return { total: rows.length, broken, rows };
}

const statusCounts = (statuses: number[]) => JSON.stringify(Object.fromEntries([...new Set(statuses)].map((s) => [s, statuses.filter((x) => x === s).length])));

describe('concurrent sends to one recipient on PostgreSQL with Redis', { skip: await skipUnless({ postgres: true, redis: true }) }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('postgres', { redis: true });
  });
  after(() => server.close());

  test(`${CONNECTIONS} connections for 3 s under a permissive limit: no 5xx, and one live code left`, async () => {
    const headers = basic(server.admin.tenant.sid, server.admin.tenant.authToken);
    const name = `many_${randomBytes(4).toString('hex')}`;
    const created = await call(`${server.url}/2fa/limits`, { headers, json: { name, buckets: [{ name: 'many', max: 1_000_000, interval: 1 }] } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const to = randomNumber();
    const statuses = await load(server.url, headers, 3000, () => ({ service: 'deadlock', from: '+14155550000', to, body: 'code {code}', limits: { [name]: 'k' } }));
    assert.ok(statuses.length >= CONNECTIONS, `only ${statuses.length} sends`);
    assert.deepEqual(statuses.filter((s) => s !== 200), [], statusCounts(statuses));

    const db = new pg.Client({ connectionString: server.database.url });
    await db.connect();
    try {
      const { rows } = await db.query(`select count(*)::int as live from verifications where service = 'deadlock' and "to" = $1 and status = 'pending'`, [to]);
      assert.equal(rows[0].live, 1, 'exactly one live code for the recipient');
      const { total, broken } = await halfWritten(db, 'deadlock');
      assert.equal(total, statuses.length);
      assert.deepEqual(broken, []);
    } finally {
      await db.end();
    }
  });
});

describe('kill -9 under send load on PostgreSQL', { skip: await skipUnless({ postgres: true, redis: true }) }, () => {
  let database: TestDatabase;
  let node: ServerProcess;
  let tenant: { sid: string; authToken: string };
  before(async () => {
    database = await createTestDatabase('postgres');
    node = await startServerProcess({ ...sharedNodesEnv(database), LOG_LEVEL: 'info' });
    tenant = bootstrapCredentials(database.dataDir).tenant;
  });
  after(async () => {
    if (node.child.exitCode === null && node.child.signalCode === null) await node.stop();
    await database.drop();
  });

  test('leaves every request row with its events, and no live code without its created event', async () => {
    const headers = basic(tenant.sid, tenant.authToken);
    // A few recipients shared by many sends, so that retiring the previous code is in play too.
    const recipients = Array.from({ length: 5 }, randomNumber);
    const name = `many_${randomBytes(4).toString('hex')}`;
    const created = await call(`${node.url}/2fa/limits`, { headers, json: { name, buckets: [{ name: 'many', max: 1_000_000, interval: 1 }] } });
    assert.equal(created.status, 200);
    let i = 0;
    const running = load(node.url, headers, 60_000, () => ({ service: 'crash', from: '+14155550000', to: recipients[i++ % recipients.length], body: 'code {code}', limits: { [name]: 'k' } }));
    // Kill once a good number of sends have been answered, mid-flight.
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      for (let t = 0; t < 200; t++) {
        const { rows } = await db.query(`select count(*)::int as n from verifications where service = 'crash'`);
        if (rows[0].n >= 300) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      node.child.kill('SIGKILL');
      const statuses = await running;
      assert.ok(statuses.filter((s) => s === 200).length >= 100, statusCounts(statuses));
      // The killed process's connections are gone once PostgreSQL has noticed; wait for them.
      for (let t = 0; t < 100; t++) {
        const { rows } = await db.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
        if (rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const { total, broken } = await halfWritten(db, 'crash');
      assert.ok(total >= 300, `${total} rows`);
      assert.deepEqual(broken, [], `${broken.length} of ${total} sends half-written`);
      // A send to the development outbox stores its message in the same transaction as the request
      // (gh_send_to_outbox): no row is left pending, or delivered without its message.
      const { rows: undelivered } = await db.query(
        `select v.request_id, v.delivery_status from verifications v left join outbox_messages m on m.id::text = v.provider_id
          where v.service = 'crash' and (v.delivery_status <> 'delivered' or m.id is null)`,
      );
      assert.deepEqual(undelivered, [], `${undelivered.length} of ${total} sends without their outbox message`);
      const { rows } = await db.query(`select "to", count(*)::int as live from verifications where service = 'crash' and status = 'pending' group by "to" having count(*) > 1`);
      assert.deepEqual(rows, [], 'at most one live code per recipient');
    } finally {
      await db.end();
    }
  });
});
