/**
 * PostgreSQL may plan a named prepared statement once for all values (a generic plan) after five
 * calls. A generic plan made while the tables were nearly empty can pick the wrong index and keep it
 * after they have grown, until an analyze replans it. Here generic plans are forced wherever
 * PostgreSQL may use one, the table grows to 300k rows with no analyze, and each statement of a
 * send and a verify must still read only the rows it needs. The verify's count and the request's
 * state read every row of the tenant as generic plans until their tenant test was written to offer
 * no index (queries.ts, REQUEST); the lookup by recipient is planned for each call (an unnamed
 * statement) and gh_send_open is set to force_custom_plan; the rest keep their generic plans.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { verificationQueries } from '../../src/core/verifications/queries.js';
import { type Storage, migrate, openStorage } from '../../src/storage/storage.js';
import { type TestDatabase, createTestDatabase, skipDialect } from '../helpers/services.js';

const ROWS = 300_000;

/** The rows of verifications read so far by scans and index fetches, this connection's counts included. */
async function rowsRead(storage: Storage): Promise<number> {
  // The connection's counts reach the view when it next goes idle; this makes that happen now.
  await sql`select pg_stat_force_next_flush()`.execute(storage.db);
  const { rows } = await sql<{ n: string }>`select seq_tup_read + coalesce(idx_tup_fetch, 0) as n from pg_stat_user_tables where relname = 'verifications'`.execute(storage.db);
  return Number(rows[0]!.n);
}

/**
 * `count` codes of tenant 1 and service 's', request ids `prefix` + a number, to +1 (toBase + number). The
 * usage roll-up's triggers are off for the bulk insert: one transaction bumping the same counter that often
 * is quadratic on PostgreSQL (docs/operations.md, "Roll-ups"), and these tests are about plans, not counters.
 */
async function insertCodes(storage: Storage, prefix: string, status: 'pending' | 'verified', count: number, toBase: number): Promise<void> {
  await sql`set session_replication_role = replica`.execute(storage.db);
  await sql`insert into verifications (request_id, tenant_id, service, channel, "to", code_hash, status, attempts, expires_at, created_at, updated_at, delivery_status)
    select ${prefix} || lpad(g::text, 31, '0'), 1, 's', 'sms', '+1' || (${sql.lit(toBase)} + g), 'h', ${status}, ${status === 'pending' ? 0 : 1}, ${Date.now() + 600_000}, g, g, 'pending'
    from generate_series(1, ${count}) g`.execute(storage.db);
  await sql`set session_replication_role = origin`.execute(storage.db);
}

/** Rows each call read; each must read a handful (counted rows, not time: a loaded machine hides a slow plan). */
async function assertFewRowsRead(storage: Storage, calls: Record<string, () => Promise<unknown>>): Promise<void> {
  const read: Record<string, number> = {};
  for (const [name, call] of Object.entries(calls)) {
    const before = await rowsRead(storage);
    await call();
    read[name] = (await rowsRead(storage)) - before;
  }
  for (const [name, n] of Object.entries(read)) assert.ok(n <= 10, `${name} read ${n} rows: ${JSON.stringify(read)}`);
}

describe('hot statements on PostgreSQL planned on empty tables, run on full ones', { skip: await skipDialect('postgres') }, () => {
  let database: TestDatabase;
  let storage: Storage;
  let q: ReturnType<typeof verificationQueries>;
  let n = 0;
  const id = () => `OTP${String(++n).padStart(32, '0')}`;
  const open = (to: string) => q.open({ requestId: id(), tenantId: 1, service: 's', channel: 'sms', to, codeHash: 'h', expiresAt: Date.now() + 60_000, now: Date.now(), guardUntil: null, bucket: { key: `default:1:${to}`, max: 1000, intervalMs: 1000 }, detail: 'd' });


  before(async () => {
    database = await createTestDatabase('postgres');
    // One connection: the plan cache is per connection, so every call below counts toward it.
    storage = openStorage({ dialect: 'postgres', url: database.url }, { poolSize: 1 });
    await migrate(storage.db);
    // As in the minutes before autovacuum analyzes a grown table (its analyze would replan).
    await sql`alter table verifications set (autovacuum_enabled = false)`.execute(storage.db);
    // Generic plans wherever PostgreSQL may use them (one connection: the setting holds for every call).
    await sql`set plan_cache_mode = force_generic_plan`.execute(storage.db);
    await sql`insert into tenants (sid, name, parent_id, path, created_at, updated_at) values ('AC1', 't', null, '/AC1/', 0, 0)`.execute(storage.db);
    q = verificationQueries(storage.statements, 'postgres', 5);
    for (let i = 0; i < 8; i++) {
      await open('+15550000001');
      await q.count(`OTP${'f'.repeat(32)}`, 1, Date.now(), 'h');
      await q.state(`OTP${'f'.repeat(32)}`, 1);
      await q.newest(1, 's', '+15550000001');
    }
    await insertCodes(storage, 'OTPb', 'pending', ROWS, 2_000_000_000);
  });
  after(async () => {
    await storage.close();
    await database.drop();
  });

  it('reads a handful of the 300k rows for each statement of a send and a verify', async () => {
    const known = `OTPb${'2'.padStart(31, '0')}`;
    const calls = {
      open: () => open('+15551000001'),
      count: () => q.count(known, 1, Date.now(), 'wrong'),
      state: () => q.state(known, 1),
      newest: () => q.newest(1, 's', '+12000000005'),
    };
    // A wrong plan read every row of the tenant (25 ms here, 170–340 ms on a loaded machine).
    await assertFewRowsRead(storage, calls);
  });
});

/**
 * The other way a plan goes wrong: an analyze (autovacuum's, after a bulk load or a quiet hour) that
 * saw no live code leaves the index of live codes by expiry looking empty. When its predicate was
 * `status = 'pending'`, which a send's and a verify's statements state too, PostgreSQL then chose it
 * for them and read every live code on each call (166 ms with 42,000 of them, bench/growth.ts).
 * Its predicate now holds a term those statements never write (migration 0028).
 */
describe('hot statements on PostgreSQL after an analyze that saw no live code', { skip: await skipDialect('postgres') }, () => {
  const LIVE = 20_000;
  let database: TestDatabase;
  let storage: Storage;
  let q: ReturnType<typeof verificationQueries>;
  let n = 0;
  const id = () => `OTP${String(++n).padStart(32, '0')}`;
  const open = (to: string) => q.open({ requestId: id(), tenantId: 1, service: 's', channel: 'sms', to, codeHash: 'h', expiresAt: Date.now() + 60_000, now: Date.now(), guardUntil: null, bucket: null, detail: 'd' });

  before(async () => {
    database = await createTestDatabase('postgres');
    storage = openStorage({ dialect: 'postgres', url: database.url }, { poolSize: 1 });
    await migrate(storage.db);
    await sql`alter table verifications set (autovacuum_enabled = false)`.execute(storage.db);
    await sql`insert into tenants (sid, name, parent_id, path, created_at, updated_at) values ('AC1', 't', null, '/AC1/', 0, 0)`.execute(storage.db);
    q = verificationQueries(storage.statements, 'postgres', 5);
    await insertCodes(storage, 'OTPa', 'verified', 200_000, 3_000_000_000);
    // The analyze of a quiet hour: no live code at all.
    await sql`vacuum analyze verifications`.execute(storage.db);
    await insertCodes(storage, 'OTPb', 'pending', LIVE, 2_000_000_000);
  });
  after(async () => {
    await storage.close();
    await database.drop();
  });

  it(`reads a handful of rows for each statement of a send and a verify, not the ${LIVE.toLocaleString('en')} live codes`, async () => {
    const calls = {
      'open (a new recipient)': () => open('+15551000001'),
      'open (a recipient with a live code)': () => open('+12000000007'),
      count: () => q.count(`OTPb${'3'.padStart(31, '0')}`, 1, Date.now(), 'wrong'),
      state: () => q.state(`OTPb${'3'.padStart(31, '0')}`, 1),
      newest: () => q.newest(1, 's', '+12000000005'),
    };
    await assertFewRowsRead(storage, calls);
  });
});
