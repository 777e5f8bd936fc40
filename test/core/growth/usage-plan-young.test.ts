/**
 * A young database is never analyzed (Gatehouse does not analyze SQLite, and autovacuum waits for a
 * table to change by a share of its size): the usage report's count of late codes must still read the
 * partial index of live codes, not every code the tenant sent in the month. With no statistics, SQLite
 * took `tenant_id = ?` for a selective filter and read all of them (116 ms for 200,000 codes of a day).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CompiledQuery, sql } from 'kysely';
import { parseDatabaseUrl } from '../../../src/config.js';
import { DAY_MS } from '../../../src/core/growth/retention.js';
import { usageReport } from '../../../src/core/growth/usage.js';
import { type Storage, migrate, openStorage } from '../../../src/storage/storage.js';
import { DIALECTS, type TestDatabase, createTestDatabase, skipDialect } from '../../helpers/services.js';

const CODES = 20_000;

for (const dialect of DIALECTS) {
  describe(`the usage report on a young ${dialect} database, never analyzed`, { skip: await skipDialect(dialect) }, () => {
    let database: TestDatabase;
    let storage: Storage;
    const now = Date.now();

    before(async () => {
      database = await createTestDatabase(dialect);
      storage = openStorage(parseDatabaseUrl(database.url));
      await migrate(storage.db);
      const db = storage.db;
      await sql`insert into tenants (sid, name, parent_id, path, created_at, updated_at) values ('AC1', 't', null, '/AC1/', 0, 0)`.execute(db);
      const series = dialect === 'postgres' ? sql`generate_series(1::bigint, ${sql.lit(CODES)}) as s(g)` : sql`(with recursive s(g) as (select 1 union all select g + 1 from s where g < ${sql.lit(CODES)}) select g from s) s`;
      const hex = dialect === 'postgres' ? sql`lpad(to_hex(g), 32, '0')` : sql`printf('%032x', g)`;
      // A busy first day: every code sent today, still live.
      await sql`insert into verifications (request_id, tenant_id, service, channel, "to", code_hash, status, attempts, expires_at, created_at, updated_at, delivery_status)
        select 'OTP' || ${hex}, 1, 's', 'sms', '+1415' || (2000000 + g), 'h', 'pending', 0, ${sql.lit(now + 600_000)} - g, ${sql.lit(now)} - g * 100, 0, 'delivered'
        from ${series}`.execute(db);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    it('counts the late codes through verifications_pending_expiry, for one tenant and for a tenant with its sub-accounts', async () => {
      const day = Math.floor(now / DAY_MS) * DAY_MS;
      for (const scope of [{ tenantId: 1 }, { pathPrefix: '/AC1/' }]) {
        const caught: CompiledQuery[] = [];
        const db = storage.db;
        const watched = db.withPlugin({
          transformQuery: (args) => {
            caught.push(db.getExecutor().compileQuery(args.node, args.queryId));
            return args.node;
          },
          transformResult: async (args) => args.result,
        });
        await usageReport(watched, scope, day - 29 * DAY_MS, day + DAY_MS - 1, now);
        const late = caught.find((q) => /expires_at/.test(q.sql) && /count\(\*\)/.test(q.sql));
        assert.ok(late, 'the report counts late codes');
        const text = dialect === 'postgres' ? `explain ${late.sql}` : `explain query plan ${late.sql}`;
        const { rows } = await db.executeQuery<Record<string, string>>({ ...late, sql: text });
        const plan = rows.map((r) => (dialect === 'postgres' ? r['QUERY PLAN']! : r.detail!)).join('\n');
        assert.match(plan, /verifications_pending_expiry/, plan);
        assert.doesNotMatch(plan, /verifications_tenant_created|verifications_recipient/, plan);
      }
    });
  });
}
