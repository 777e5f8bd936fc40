/**
 * The roll-ups equal a recount from raw rows, whatever happens: a property test over random sends
 * (any channel, country, timeout, with and without guard time, to a tenant or its sub-account),
 * verifies (right and wrong codes, up to the last attempt), cancels, the passing of time and partial
 * expiry passes, through the send, verify and cancel statements themselves (queries.ts; gh_send_open on
 * PostgreSQL). Then the usage report read from roll-ups equals the report counted from raw rows, for
 * ranges on and off a day's edge, and the report over whole days is the same after pruning.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { parseDatabaseUrl } from '../../../src/config.js';
import { DAY_MS, createRetention } from '../../../src/core/growth/retention.js';
import { attemptReport, rawAttempts } from '../../../src/core/growth/attempts.js';
import { rawUsage, usageReport } from '../../../src/core/growth/usage.js';
import { verificationQueries } from '../../../src/core/verifications/queries.js';
import { countrySql } from '../../../src/storage/migrations/0025_growth.js';
import { type Storage, migrate, openStorage } from '../../../src/storage/storage.js';
import { DIALECTS, type TestDatabase, createTestDatabase, skipDialect } from '../../helpers/services.js';

const RECIPIENTS = { sms: ['+15550001111', '+447700900123', '+2125550000'], call: ['+919960639903', '+79161234567'], email: ['a@example.com'] } as const;
type Channel = keyof typeof RECIPIENTS;

const op = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('send' as const), channel: fc.constantFrom<Channel>('sms', 'call', 'email'), to: fc.nat(2), timeout: fc.integer({ min: 1, max: 7200 }), guard: fc.boolean(), child: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('verify' as const), pick: fc.nat(), right: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 10 * 3_600_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
);

for (const dialect of DIALECTS) {
  describe(`usage roll-ups on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let database: TestDatabase;
    let storage: Storage;
    let q: ReturnType<typeof verificationQueries>;
    let serial = 0;

    before(async () => {
      database = await createTestDatabase(dialect);
      storage = openStorage(parseDatabaseUrl(database.url));
      await migrate(storage.db);
      q = verificationQueries(storage.statements, dialect, 5);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    async function tenant(parentPath: string | null): Promise<{ id: number; path: string }> {
      const sid = `AC${String(++serial).padStart(32, '0')}`;
      const path = `${parentPath ?? '/'}${sid}/`;
      await storage.db.insertInto('tenants').values({ sid, name: sid, parent_id: null, path, email: null, created_at: 0, updated_at: 0 }).execute();
      const row = await storage.db.selectFrom('tenants').select('id').where('sid', '=', sid).executeTakeFirstOrThrow();
      return { id: Number(row.id), path };
    }

    /** usage_daily against a count of the rows as stored, for some tenants (zero counters left out). */
    async function recount(tenants: number[]) {
      const rolled = await sql<{ k: string; n: number }>`
        select tenant_id || ' ' || day || ' ' || channel || ' ' || country || ' ' || status as k, sum("count") as n
        from usage_daily where tenant_id in (${sql.join(tenants)}) group by tenant_id, day, channel, country, status`.execute(storage.db);
      const raw = await sql<{ k: string; n: number }>`
        select k, count(*) as n from (
          select r.tenant_id || ' ' || (r.created_at / ${sql.lit(DAY_MS)}) || ' ' || r.channel || ' ' || ${sql.raw(countrySql('r'))} || ' ' || r.status as k
          from verifications r where r.tenant_id in (${sql.join(tenants)})) x group by k`.execute(storage.db);
      const norm = (rows: Array<{ k: string; n: number }>) => Object.fromEntries(rows.filter((r) => Number(r.n) !== 0).map((r) => [r.k, Number(r.n)]).sort());
      return { rolled: norm(rolled.rows), raw: norm(raw.rows) };
    }

    it('equal a recount from raw rows, and the report from them equals the report from raw rows, before and after pruning', async () => {
      const days = { verifications: 2, deliveries: 0, loginAudit: 0, adminAudit: 0, calls: 0, sipStatistics: 0, outbox: 0 };
      const retention = createRetention(storage.db, dialect, days);
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: DAY_MS - 1 }), fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 3, maxLength: 3 }), async (ops, offset, ranges) => {
          const parent = await tenant(null);
          const child = await tenant(parent.path);
          let now = Date.UTC(2026, 0, 1) + offset;
          const started = now;
          const sent: Array<{ requestId: string; tenantId: number; hash: string }> = [];
          for (const o of ops) {
            if (o.kind === 'send') {
              const tenantId = o.child ? child.id : parent.id;
              const list = RECIPIENTS[o.channel];
              const requestId = `OTP${(++serial).toString(16).padStart(32, '0')}`;
              const hash = `h${serial}`;
              const opened = await q.open({
                requestId, tenantId, service: 's', channel: o.channel, to: list[o.to % list.length]!, codeHash: hash,
                expiresAt: now + o.timeout * 1000, now, guardUntil: o.guard ? now + 30_000 : null, bucket: null, detail: 'd',
              });
              assert.equal(opened, true);
              sent.push({ requestId, tenantId, hash });
            } else if (o.kind === 'verify' && sent.length) {
              const s = sent[o.pick % sent.length]!;
              await q.count(s.requestId, s.tenantId, now, o.right ? s.hash : 'wrong');
            } else if (o.kind === 'cancel' && sent.length) {
              const s = sent[o.pick % sent.length]!;
              await q.cancel(s.requestId, s.tenantId, now);
            } else if (o.kind === 'tick') {
              now += o.ms;
            } else if (o.kind === 'expire') {
              await retention.expireBatch(now, 2);
            }
          }
          const { rolled, raw } = await recount([parent.id, child.id]);
          assert.deepEqual(rolled, raw);

          const span = now - started + 2 * DAY_MS;
          const from = Math.floor(started / DAY_MS) * DAY_MS - DAY_MS;
          const scopes = [{ tenantId: parent.id }, { tenantId: child.id }, { pathPrefix: parent.path }];
          for (const [a, b] of ranges) {
            // Off a day's edge, and on it: [a, b] and the whole days around it.
            const start = from + (a % span);
            const end = start + (b % span);
            for (const [s, e] of [[start, end], [Math.floor(start / DAY_MS) * DAY_MS, Math.ceil((end + 1) / DAY_MS) * DAY_MS - 1]] as const) {
              for (const scope of scopes) assert.deepEqual(await usageReport(storage.db, scope, s, e, now), await rawUsage(storage.db, scope, s, e, now));
            }
          }

          // Whole days, before and after pruning what is older than two days.
          const whole = [from, Math.ceil(now / DAY_MS) * DAY_MS + DAY_MS - 1] as const;
          const before = await Promise.all(scopes.map((scope) => usageReport(storage.db, scope, ...whole, now)));
          // Each run's pass is a first look (a pass that drained a table rests it an hour: retention.ts).
          await createRetention(storage.db, dialect, days).prune({ now });
          const afterPruning = await Promise.all(scopes.map((scope) => usageReport(storage.db, scope, ...whole, now)));
          assert.deepEqual(afterPruning, before);
        }),
        { numRuns: 30 },
      );
    });

    it("count delivery tries by channel in attempts_daily: the report's tries equal a raw count, and are the same after tries are pruned", async () => {
      // Tries kept 1 day, requests 30: pruning removes tries whose requests the report still counts.
      const days = { verifications: 30, deliveries: 1, loginAudit: 0, adminAudit: 0, calls: 0, sipStatistics: 0, outbox: 0 };
      const send = fc.record({ channel: fc.constantFrom<Channel>('sms', 'call', 'email'), outbox: fc.boolean(), tries: fc.array(fc.constantFrom('sms', 'call', 'email'), { maxLength: 4 }), child: fc.boolean(), later: fc.integer({ min: 0, max: 3 * 3_600_000 }), gap: fc.integer({ min: 0, max: 20 * 3_600_000 }) });
      await fc.assert(
        fc.asyncProperty(fc.array(send, { minLength: 1, maxLength: 25 }), fc.integer({ min: 0, max: DAY_MS - 1 }), fc.tuple(fc.nat(), fc.nat()), async (sends, offset, [a, b]) => {
          const parent = await tenant(null);
          const child = await tenant(parent.path);
          let now = Date.UTC(2026, 2, 1) + offset;
          const started = now;
          for (const s of sends) {
            const tenantId = s.child ? child.id : parent.id;
            const requestId = `OTP${(++serial).toString(16).padStart(32, '0')}`;
            const to = RECIPIENTS[s.channel][0];
            const opening = { requestId, tenantId, service: 's', channel: s.channel, to, codeHash: 'h', expiresAt: now + 60_000, now, guardUntil: null, bucket: null, detail: 'd' };
            // A send to the development outbox is its own one try; any other is tried by the queue's workers.
            assert.equal(await q.open(opening, s.outbox ? { from: 'x', subject: s.channel === 'email' ? 'code' : null, body: 'code 123456' } : undefined), true);
            if (!s.outbox) {
              for (const [i, channel] of s.tries.entries()) {
                // As delivery.ts records a try; its time is later than the send's, perhaps the next day.
                await sql`insert into delivery_attempts (job_id, request_id, tenant_id, channel, provider, provider_id, status, error, created_at)
                  values (null, ${requestId}, ${tenantId}, ${channel}, 'twilio', ${`SM${serial}x${i}`}, 'accepted', null, ${now + s.later})`.execute(storage.db);
              }
            }
            now += s.gap;
          }
          const scopes = [{ tenantId: parent.id }, { tenantId: child.id }, { pathPrefix: parent.path }];
          const from = Math.floor(started / DAY_MS) * DAY_MS - DAY_MS;
          const span = now - started + 2 * DAY_MS;
          const start = from + (a % span);
          const end = start + (b % span);
          for (const [s, e] of [[start, end], [Math.floor(start / DAY_MS) * DAY_MS, Math.ceil((end + 1) / DAY_MS) * DAY_MS - 1]] as const) {
            for (const scope of scopes) assert.deepEqual(await attemptReport(storage.db, scope, s, e), await rawAttempts(storage.db, scope, s, e));
          }

          // Whole days, before and after pruning every try older than a day (three days on).
          const whole = [from, Math.ceil(now / DAY_MS) * DAY_MS + DAY_MS - 1] as const;
          const before = await Promise.all(scopes.map((scope) => attemptReport(storage.db, scope, ...whole)));
          const tried = sends.some((s) => !s.outbox && s.tries.length > 0);
          await createRetention(storage.db, dialect, days).prune({ now: now + 3 * DAY_MS });
          const left = await sql<{ n: number }>`select count(*) as n from delivery_attempts a inner join verifications v on v.request_id = a.request_id
            where v.tenant_id in (${parent.id}, ${child.id})`.execute(storage.db);
          assert.equal(Number(left.rows[0]!.n), 0, 'the tries are gone');
          const afterPruning = await Promise.all(scopes.map((scope) => attemptReport(storage.db, scope, ...whole)));
          assert.deepEqual(afterPruning, before);
          if (tried) assert.notDeepEqual(await rawAttempts(storage.db, scopes[2]!, ...whole), before[2], 'a raw count would have changed');
        }),
        { numRuns: 20 },
      );
    });

    it('counted a send when it was made: a report of the sends of one day lists them as pending', async () => {
      const t = await tenant(null);
      const now = Date.UTC(2026, 5, 1, 10);
      await q.open({ requestId: `OTP${'a'.repeat(32)}`, tenantId: t.id, service: 's', channel: 'sms', to: '+447700900123', codeHash: 'h', expiresAt: now + 60_000, now, guardUntil: null, bucket: null, detail: 'd' });
      const day = Date.UTC(2026, 5, 1);
      assert.deepEqual(await usageReport(storage.db, { tenantId: t.id }, day, day + DAY_MS - 1, now), [{ day: '2026-06-01', channel: 'sms', status: 'pending', count: 1 }]);
      // A minute later, before any expiry pass: expired, as the raw report says.
      assert.deepEqual(await usageReport(storage.db, { tenantId: t.id }, day, day + DAY_MS - 1, now + 60_000), [{ day: '2026-06-01', channel: 'sms', status: 'expired', count: 1 }]);
      const { rows } = await sql<{ country: string }>`select country from usage_daily where tenant_id = ${t.id}`.execute(storage.db);
      assert.deepEqual(rows.map((r) => r.country), ['44']);
    });
  });
}
