/**
 * PostgreSQL plans a named prepared statement once for all values (a generic plan) after five calls,
 * unless told to plan each call. A generic plan made while the tables were empty can pick the wrong
 * index and keep it after the tables have grown. The hot statements that were shown to go wrong
 * (the control below) are planned for each call; the rest keep the cheaper generic plans. Either
 * way, each statement of a send and a verify stays fast on 300k rows after being planned on none.
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
  let control: ReturnType<Storage['statements']['prepare']>;
  let n = 0;
  const id = () => `OTP${String(++n).padStart(32, '0')}`;
  const open = (to: string) => q.open({ requestId: id(), tenantId: 1, service: 's', channel: 'sms', to, codeHash: 'h', expiresAt: Date.now() + 60_000, now: Date.now(), guardUntil: null, bucket: { key: `default:1:${to}`, max: 1000, intervalMs: 1000 }, detail: 'd' });

  before(async () => {
    database = await createTestDatabase('postgres');
    // One connection: the plan cache is per connection, so every call below counts toward it.
    storage = openStorage({ dialect: 'postgres', url: database.url }, { poolSize: 1 });
    await migrate(storage.db);
    await sql`insert into tenants (sid, name, parent_id, path, created_at, updated_at) values ('AC1', 't', null, '/AC1/', 0, 0)`.execute(storage.db);
    q = verificationQueries(storage.statements, 'postgres', 5);
    control = storage.statements.prepare('select status from verifications where request_id = ? and tenant_id = ?');
    for (let i = 0; i < 8; i++) {
      await open('+15550000001');
      await control.get(`OTP${'f'.repeat(32)}`, 1);
      await q.count(`OTP${'f'.repeat(32)}`, 1, Date.now(), 'h');
      await q.state(`OTP${'f'.repeat(32)}`, 1);
      await q.newest(1, 's', '+15550000001');
      await q.delivered(`OTP${'f'.repeat(32)}`, 1, { status: 'delivered', provider: 'p', providerId: null, error: null }, 'd', 0);
    }
    await sql`insert into verifications (request_id, tenant_id, service, channel, "to", code_hash, status, attempts, expires_at, created_at, updated_at, delivery_status)
      select 'OTPb' || lpad(g::text, 31, '0'), 1, 's', 'sms', '+1' || (2000000000 + g), 'h', 'pending', 0, ${Date.now() + 600_000}, g, g, 'pending'
      from generate_series(1, ${ROWS}) g`.execute(storage.db);
  });
  after(async () => {
    await storage.close();
    await database.drop();
  });

  it('control: a named lookup by request and tenant planned generically on an empty table is slow once the table is full', async () => {
    // No analyze of verifications since it grew: as until autovacuum gets to it.
    const ms = await median(5, () => control.get(`OTPb${'1'.padStart(31, '0')}`, 1));
    assert.ok(ms > 10, `the generic plan took ${ms.toFixed(2)} ms`);
  });

  it('keeps every statement of a send and a verify under 10 ms', async () => {
    const known = `OTPb${'2'.padStart(31, '0')}`;
    const times = {
      open: await median(9, (i) => open(`+1555100${String(i).padStart(4, '0')}`)),
      count: await median(9, () => q.count(known, 1, Date.now(), 'wrong')),
      state: await median(9, () => q.state(known, 1)),
      newest: await median(9, () => q.newest(1, 's', '+12000000005')),
      delivered: await median(9, () => q.delivered(known, 1, { status: 'delivered', provider: 'p', providerId: null, error: null }, 'd', 0)),
    };
    for (const [name, ms] of Object.entries(times)) assert.ok(ms < 10, `${name} took ${ms.toFixed(2)} ms: ${JSON.stringify(times)}`);
  });
});
