/**
 * The report and search queries read the index that fits their filter and order, on both dialects,
 * on tables big enough (and analyzed) for a planner to prefer a scan if it could: SDR search for one
 * tenant's day (its count and its page, newest first), the usage report from the roll-ups and its
 * correction for codes the expiry pass has not reached, the expiry pass's pick, and retention's
 * batches (delivery_reports by delivery_reports_created), the tries read from attempts_daily. The statements are the ones the code runs, caught as Kysely compiles them.
 * docs/operations.md ("Roll-ups") quotes the plans this prints.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CompiledQuery, type Kysely, sql } from 'kysely';
import { parseDatabaseUrl } from '../../../src/config.js';
import type { Caller } from '../../../src/core/callers.js';
import type { CoreDeps } from '../../../src/core/context.js';
import { DAY_MS, RETENTION, createRetention } from '../../../src/core/growth/retention.js';
import { attemptReport } from '../../../src/core/growth/attempts.js';
import { usageReport } from '../../../src/core/growth/usage.js';
import type { Limits } from '../../../src/core/limits/limits.js';
import { createRecords } from '../../../src/core/verifications/records.js';
import type { Database } from '../../../src/storage/database.js';
import { type Storage, migrate, openStorage } from '../../../src/storage/storage.js';
import { DIALECTS, type TestDatabase, createTestDatabase, skipDialect } from '../../helpers/services.js';

const ROWS = 60_000;
const END = Date.UTC(2026, 11, 6);

for (const dialect of DIALECTS) {
  describe(`query plans of reports and search on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let database: TestDatabase;
    let storage: Storage;
    const caught: CompiledQuery[] = [];
    /** The storage's db, with every query it compiles kept in `caught`. */
    let watched: Kysely<Database>;

    before(async () => {
      database = await createTestDatabase(dialect);
      storage = openStorage(parseDatabaseUrl(database.url));
      await migrate(storage.db);
      const db = storage.db;
      for (const sid of ['AC1', 'AC2', 'AC3']) await sql`insert into tenants (sid, name, parent_id, path, created_at, updated_at) values (${sid}, 't', null, ${`/${sid}/`}, 0, 0)`.execute(db);
      const series = dialect === 'postgres' ? sql`generate_series(1::bigint, ${sql.lit(ROWS)}) as s(g)` : sql`(with recursive s(g) as (select 1 union all select g + 1 from s where g < ${sql.lit(ROWS)}) select g from s) s`;
      const hex = dialect === 'postgres' ? sql`lpad(to_hex(g), 32, '0')` : sql`printf('%032x', g)`;
      // 60 days of three tenants; every 40th code still pending, half of those past their expiry.
      await sql`insert into verifications (request_id, tenant_id, service, channel, "to", code_hash, status, attempts, expires_at, created_at, updated_at, delivery_status)
        select 'OTP' || ${hex}, 1 + g % 3, 's', 'sms', '+1555' || (g % 100000), 'h', case when g % 40 = 0 then 'pending' else 'verified' end, 1,
          ${sql.lit(END)} - (${sql.lit(ROWS)} - g) * ${sql.lit(Math.floor((60 * DAY_MS) / ROWS))} + case when g % 80 = 0 then -1 else 1 end * ${sql.lit(DAY_MS)},
          ${sql.lit(END)} - (${sql.lit(ROWS)} - g) * ${sql.lit(Math.floor((60 * DAY_MS) / ROWS))}, 0, 'delivered'
        from ${series}`.execute(db);
      // Twilio's final reports over the same 60 days: retention walks them by created_at (migration 0027).
      await sql`insert into delivery_reports (provider_id, status, error, created_at)
        select 'SM' || ${hex}, 'delivered', null, ${sql.lit(END)} - (${sql.lit(ROWS)} - g) * ${sql.lit(Math.floor((60 * DAY_MS) / ROWS))} from ${series}`.execute(db);
      // A try for every other code, which fills attempts_daily through its trigger.
      await sql`insert into delivery_attempts (job_id, request_id, tenant_id, channel, provider, provider_id, status, error, created_at)
        select null, 'OTP' || ${hex}, 1 + g % 3, case when g % 4 = 0 then 'call' else 'sms' end, 'twilio', 'SM' || ${hex}, 'accepted', null,
          ${sql.lit(END)} - (${sql.lit(ROWS)} - g) * ${sql.lit(Math.floor((60 * DAY_MS) / ROWS))} from ${series} where g % 2 = 0`.execute(db);
      await sql`analyze`.execute(db);
      // The plans of a server started after that analyze: on SQLite, opening drops its STAT4 samples (storage.ts).
      await storage.close();
      storage = openStorage(parseDatabaseUrl(database.url));
      const planned = storage.db;
      watched = planned.withPlugin({
        transformQuery: (args) => {
          caught.push(planned.getExecutor().compileQuery(args.node, args.queryId));
          return args.node;
        },
        transformResult: async (args) => args.result,
      });
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    async function plan(query: CompiledQuery | { sql: string; parameters: readonly unknown[] }): Promise<string> {
      const text = dialect === 'postgres' ? `explain ${query.sql}` : `explain query plan ${query.sql}`;
      const { rows } = await storage.db.executeQuery<Record<string, string>>({ sql: text, parameters: query.parameters, query: { kind: 'RawNode' } as never, queryId: { queryId: 'plan' } });
      const lines = rows.map((r) => (dialect === 'postgres' ? r['QUERY PLAN']! : r.detail!));
      console.log(`--- ${dialect}: ${query.sql.replace(/\s+/g, ' ').slice(0, 140)}\n${lines.join('\n')}`);
      return lines.join('\n');
    }

    const caller: Caller = { tenantId: 1, tenantSid: 'AC1', tenantPath: '/AC1/', accountId: null, role: 'tenant', via: 'basic' };
    const limits = { target: async () => ({ id: 1, sid: 'AC1', path: '/AC1/' }) } as unknown as Limits;

    it("SDR search of one tenant's last day counts and pages by verifications_tenant_created", async () => {
      const records = createRecords({ db: watched } as CoreDeps, limits);
      caught.length = 0;
      const { total } = await records.search(caller, { page: 0, pageSize: 10, startTime: END - DAY_MS, endTime: END, sortBy: 'dateCreated', direction: 'desc' });
      assert.ok(total > 100);
      const [count, page] = caught.filter((q) => q.sql.includes('verifications'));
      for (const q of [count!, page!]) assert.match(await plan(q), /verifications_tenant_created/);
    });

    it('the usage report reads usage_daily by its key and the late codes by verifications_pending_expiry', async () => {
      caught.length = 0;
      await usageReport(watched, { tenantId: 1 }, END - 30 * DAY_MS, END - 1, END);
      const rolled = caught.find((q) => q.sql.includes('usage_daily'))!;
      const late = caught.find((q) => q.sql.includes("'pending'"))!;
      assert.match(await plan(rolled), dialect === 'postgres' ? /usage_daily_pk/ : /usage_daily|sqlite_autoindex_usage_daily/);
      assert.doesNotMatch(await plan(rolled), /Seq Scan on usage_daily|SCAN u\b/);
      assert.match(await plan(late), /verifications_pending_expiry/);
    });

    it("the expiry pass and retention's batches walk an index, never the whole table", async () => {
      // The expiry statement of a real pass.
      caught.length = 0;
      const days = { verifications: 400, deliveries: 400, loginAudit: 400, adminAudit: 400, calls: 400, sipStatistics: 400, outbox: 400 };
      const result = await createRetention(watched, dialect, days).prune({ now: END, lines: [] });
      assert.ok(result && result.expired > 0, 'the pass expired the late codes');
      const expire = caught.find((q) => /^update verifications set status = 'expired'/.test(q.sql))!;
      const expiry = await plan(expire);
      assert.match(expiry, /verifications_pending_expiry/);
      // The locking pick runs once (an InitPlan), never once per pending row (a semi join).
      if (dialect === 'postgres') assert.doesNotMatch(expiry, /Semi Join|SubPlan/);
      // A walk of a real pass, in windows (30 days of the 60 are past their age): each window's read and its
      // delete go through the walk's index, a window's rows at a time, never the whole table.
      caught.length = 0;
      const lines = RETENTION.filter((l) => l.table === 'verifications' || l.table === 'delivery_reports');
      const walked = await createRetention(watched, dialect, { ...days, verifications: 30, deliveries: 30 }).prune({ now: END, lines });
      assert.ok(walked && walked.deleted['verifications']! > 0 && walked.deleted['delivery_reports']! > 0, 'the pass deleted old rows of both');
      for (const [table, index] of [['verifications', dialect === 'postgres' ? /verifications_pkey/ : /verifications/], ['delivery_reports', /delivery_reports_created/]] as const) {
        const window = caught.find((q) => q.sql.startsWith('select max(') && q.sql.includes(`from "${table}" where`))!;
        const remove = caught.find((q) => q.sql.startsWith(`delete from "${table}" where`) && q.sql.includes(' > '))!;
        for (const q of [window, remove]) {
          const text = await plan(q);
          assert.match(text, index, `${table}: ${q.sql}\n${text}`);
          assert.doesNotMatch(text, /Seq Scan|Sort|TEMP B-TREE|SCAN (verifications|delivery_reports)(?! USING)/, `${table}: ${q.sql}\n${text}`);
        }
      }
    });

    it("the usage report's tries read attempts_daily by its key", async () => {
      caught.length = 0;
      const tries = await attemptReport(watched, { tenantId: 1 }, END - 30 * DAY_MS, END - 1);
      assert.ok(tries.length > 30, 'the roll-up holds tries to read');
      const rolled = caught.find((q) => q.sql.includes('attempts_daily'))!;
      assert.match(await plan(rolled), dialect === 'postgres' ? /attempts_daily_pk/ : /attempts_daily|sqlite_autoindex_attempts_daily/);
      assert.doesNotMatch(await plan(rolled), /Seq Scan on attempts_daily|SCAN a\b/);
    });
  });
}
