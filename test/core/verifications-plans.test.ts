/**
 * PostgreSQL may plan a named prepared statement once for all values (a generic plan) after five
 * calls. A generic plan made while the tables were nearly empty can pick the wrong index and keep it
 * after they have grown, until an analyze replans it. Here generic plans are forced wherever
 * PostgreSQL may use one, the table grows to 300k rows with no analyze, and each statement of a send
 * and a verify must stay fast. Those shown to go wrong as generic plans (the verify's count, the
 * request lookups: 170–340 ms per call) are planned for each call (unnamed statements; gh_send_open
 * is set to force_custom_plan); the rest keep their cheaper generic plans.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { verificationQueries } from '../../src/core/verifications/queries.js';
import { type Storage, migrate, openStorage } from '../../src/storage/storage.js';
import { type TestDatabase, createTestDatabase, skipDialect } from '../helpers/services.js';

const ROWS = 300_000;

/** The median time of `n` calls, in ms. */
async function median(n: number, call: (i: number) => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call(i);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
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
      await q.delivered(`OTP${'f'.repeat(32)}`, 1, { status: 'delivered', provider: 'p', providerId: null, error: null, detail: 'd' }, 0);
    }
    await sql`insert into verifications (request_id, tenant_id, service, channel, "to", code_hash, status, attempts, expires_at, created_at, updated_at, delivery_status)
      select 'OTPb' || lpad(g::text, 31, '0'), 1, 's', 'sms', '+1' || (2000000000 + g), 'h', 'pending', 0, ${Date.now() + 600_000}, g, g, 'pending'
      from generate_series(1, ${ROWS}) g`.execute(storage.db);
  });
  after(async () => {
    await storage.close();
    await database.drop();
  });

  it('keeps every statement of a send and a verify fast on 300k rows', async () => {
    const known = `OTPb${'2'.padStart(31, '0')}`;
    const times = {
      open: await median(9, (i) => open(`+1555100${String(i).padStart(4, '0')}`)),
      count: await median(9, () => q.count(known, 1, Date.now(), 'wrong')),
      state: await median(9, () => q.state(known, 1)),
      newest: await median(9, () => q.newest(1, 's', '+12000000005')),
      delivered: await median(9, () => q.delivered(known, 1, { status: 'delivered', provider: 'p', providerId: null, error: null, detail: 'd' }, 0)),
    };
    // Generous for a loaded machine (a call took 10 ms at a load average of 23); a wrong plan took 170 ms and more.
    for (const [name, ms] of Object.entries(times)) assert.ok(ms < 60, `${name} took ${ms.toFixed(2)} ms: ${JSON.stringify(times)}`);
  });
});
