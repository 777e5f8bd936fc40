/**
 * Retention removes exactly the rows past their age, table by table, on both dialects: a row dated
 * one millisecond before the cutoff goes, one dated at the cutoff stays. A pending code is never
 * removed before the expiry pass has counted it, and one node at a time prunes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { parseDatabaseUrl } from '../../../src/config.js';
import { DAY_MS, RETENTION, type RetentionDays, createRetention } from '../../../src/core/growth/retention.js';
import { verificationQueries } from '../../../src/core/verifications/queries.js';
import { type Storage, migrate, openStorage } from '../../../src/storage/storage.js';
import { DIALECTS, type TestDatabase, createTestDatabase, skipDialect } from '../../helpers/services.js';

const NOW = Date.UTC(2026, 11, 6, 12);
const DAYS: RetentionDays = { verifications: 400, deliveries: 30, loginAudit: 100, adminAudit: 400, calls: 200, sipStatistics: 50, outbox: 7 };

for (const dialect of DIALECTS) {
  describe(`retention on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let database: TestDatabase;
    let storage: Storage;
    let serial = 0;
    let webhookId = 0;

    before(async () => {
      database = await createTestDatabase(dialect);
      storage = openStorage(parseDatabaseUrl(database.url));
      await migrate(storage.db);
      await sql`insert into tenants (sid, name, parent_id, path, created_at, updated_at) values ('AC1', 't', null, '/AC1/', 0, 0)`.execute(storage.db);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    /** One row of the line's table dated `at`. */
    async function row(table: string, at: number, status = 'verified'): Promise<void> {
      const n = ++serial;
      const db = storage.db;
      const id = `r${n}`;
      switch (table) {
        case 'verifications':
          await sql`insert into verifications (request_id, tenant_id, service, channel, "to", code_hash, status, attempts, expires_at, created_at, updated_at, delivery_status)
            values (${`OTP${String(n).padStart(32, '0')}`}, 1, 's', 'sms', '+15550000000', 'h', ${status}, 0, ${at + 300_000}, ${at}, ${at}, 'pending')`.execute(db);
          return;
        case 'verification_events':
          await sql`insert into verification_events (request_id, tenant_id, type, detail, created_at) values ('OTPx', 1, 'created', null, ${at})`.execute(db);
          return;
        case 'audit_events':
          await sql`insert into audit_events (tenant_id, account_id, event, created_at) values (1, null, 'login', ${at})`.execute(db);
          return;
        case 'call_records':
          await sql`insert into call_records (call_sid, tenant_id, direction, "from", "to", status, status_rank, started_at, created_at, updated_at)
            values (${`CA${String(n).padStart(32, '0')}`}, 1, 'inbound', '+1', '+2', 'completed', 5, ${at}, ${at}, ${at})`.execute(db);
          return;
        case 'call_events':
          await sql`insert into call_events (call_sid, tenant_id, status, created_at) values (${id}, 1, 'ringing', ${at})`.execute(db);
          return;
        case 'sip_statistics_messages':
          await sql`insert into sip_statistics_messages (id, tenant_id, from_username, from_domain, sent_at, encrypted, created_at) values (${id}, 1, 'a', 'd', ${at}, 0, ${at})`.execute(db);
          await sql`insert into sip_statistics_message_devices (message_id, to_username, to_domain, device_id, last_status, received_at, updated_at) values (${id}, 'b', 'd', 'x', 200, ${at}, ${at})`.execute(db);
          return;
        case 'sip_statistics_calls':
          await sql`insert into sip_statistics_calls (id, tenant_id, from_username, from_domain, to_username, to_domain, initiated_at, created_at, updated_at) values (${id}, 1, 'a', 'd', 'b', 'd', ${at}, ${at}, ${at})`.execute(db);
          await sql`insert into sip_statistics_call_devices (call_id, device_id, updated_at) values (${id}, 'x', ${at})`.execute(db);
          return;
        case 'outbox_messages':
          await sql`insert into outbox_messages (tenant_id, channel, "to", body, created_at) values (1, 'sms', '+1', 'b', ${at})`.execute(db);
          return;
        case 'delivery_jobs':
          // A finished job (done): one still queued or running is never pruned.
          await sql`insert into delivery_jobs (key, kind, tenant_id, ref, state, run_at, created_at, updated_at) values (${`code:${id}`}, 'code', 1, ${id}, 'done', ${at}, ${at}, ${at})`.execute(db);
          return;
        case 'delivery_attempts':
          await sql`insert into delivery_attempts (request_id, tenant_id, channel, provider, status, created_at) values (${id}, 1, 'sms', 'twilio', 'accepted', ${at})`.execute(db);
          return;
        case 'delivery_reports':
          await sql`insert into delivery_reports (provider_id, status, created_at) values (${`SM${id}`}, 'delivered', ${at})`.execute(db);
          return;
        case 'webhook_deliveries': {
          if (!webhookId) {
            await sql`insert into webhooks (sid, tenant_id, url, events, secret, created_at) values ('WH1', 1, 'https://example.com/hook', '[]', 'x', 0)`.execute(db);
            webhookId = Number((await sql<{ id: number }>`select id from webhooks where sid = 'WH1'`.execute(db)).rows[0]!.id);
          }
          await sql`insert into webhook_deliveries (sid, webhook_id, tenant_id, event_type, payload, status, next_attempt_at, job_ref, created_at, updated_at)
            values (${`WD${id}`}, ${webhookId}, 1, 'verification.sent', '{}', 'delivered', ${at}, ${id}, ${at}, ${at})`.execute(db);
          return;
        }
        case 'admin_changes':
          await sql`insert into admin_changes (created_at, actor_role, actor_via, surface, action, outcome) values (${at}, 'admin', 'apiKey', 'admin', 'POST /admin/tenants', 'done')`.execute(db);
          return;
        default:
          throw new Error(`no row maker for ${table}`);
      }
    }

    const times = async (table: string, column: string) =>
      (await sql<{ t: number }>`select ${sql.ref(column)} as t from ${sql.table(table)} order by 1`.execute(storage.db)).rows.map((r) => Number(r.t));

    it('removes, in every table of RETENTION, the rows dated before now minus its age and no other', async () => {
      const expected: Record<string, number[]> = {};
      const present = new Set((await storage.db.introspection.getTables()).map((t) => t.name));
      const lines = RETENTION.filter((line) => present.has(line.table));
      // The tables of this branch, at least; the others arrive with their migrations.
      assert.ok(lines.length >= 8);
      for (const line of lines) {
        const cutoff = NOW - DAYS[line.kind] * DAY_MS;
        const dates = [cutoff - DAY_MS, cutoff - 1, cutoff, cutoff + 1, NOW];
        for (const at of dates) await row(line.table, at);
        expected[line.table] = dates.filter((t) => t >= cutoff);
      }
      // More rows than one batch, so that the pass has to go round.
      for (let i = 0; i < 7; i++) await row('outbox_messages', NOW - 30 * DAY_MS - i);
      const retention = createRetention(storage.db, dialect, DAYS);
      const result = await retention.prune({ now: NOW, batch: 3 });
      assert.ok(result);
      for (const line of lines) assert.deepEqual(await times(line.table, line.time), expected[line.table], line.table);
      assert.equal(result.deleted['outbox_messages'], 9);
      // The devices went with their messages and calls.
      const devices = await sql<{ n: number }>`select (select count(*) from sip_statistics_message_devices) + (select count(*) from sip_statistics_call_devices) as n`.execute(storage.db);
      assert.equal(Number(devices.rows[0]!.n), 2 * 3);
    });

    it('keeps a kind whose age is 0 for ever', async () => {
      await row('outbox_messages', NOW - 10_000 * DAY_MS);
      await createRetention(storage.db, dialect, { ...DAYS, outbox: 0 }).prune({ now: NOW });
      assert.ok((await times('outbox_messages', 'created_at')).includes(NOW - 10_000 * DAY_MS));
    });

    it('counts an old pending code as expired before it removes it', async () => {
      const old = NOW - 500 * DAY_MS;
      // Sent as a send writes it, counted with it (on SQLite by the send's own statements, migration 0029).
      await verificationQueries(storage.statements, dialect, 5).open({
        requestId: `OTP${String(++serial).padStart(32, '0')}`, tenantId: 1, service: 's', channel: 'sms', to: '+15550000000', codeHash: 'h',
        expiresAt: old + 300_000, now: old, guardUntil: null, bucket: null, detail: 'sms to +15550000000',
      });
      const day = Math.floor(old / DAY_MS);
      const counts = async () =>
        (await sql<{ status: string; n: number }>`select status, sum("count") as n from usage_daily where day = ${day} group by status order by status`.execute(storage.db)).rows.map((r) => [r.status, Number(r.n)]);
      assert.deepEqual(await counts(), [['pending', 1]]);
      const result = await createRetention(storage.db, dialect, DAYS).prune({ now: NOW });
      assert.equal(result!.expired, 1);
      assert.deepEqual(await times('verifications', 'created_at').then((t) => t.includes(old)), false);
      assert.deepEqual(await counts(), [['expired', 1], ['pending', 0]]);
    });

    it('looks at a table that had nothing past its age again only an hour later; a backlog is drained at once', async () => {
      const retention = createRetention(storage.db, dialect, DAYS);
      await retention.prune({ now: NOW });
      // Rows that grow old meanwhile wait for the next look...
      for (let i = 0; i < 5; i++) await row('outbox_messages', NOW - 30 * DAY_MS - i);
      assert.equal((await retention.prune({ now: NOW, batch: 2 }))!.deleted['outbox_messages'], undefined, 'idle since the first pass');
      // ...which drains them in as many batches as they take (another node's first look, here).
      const fresh = createRetention(storage.db, dialect, DAYS);
      assert.equal((await fresh.prune({ now: NOW, batch: 2 }))!.deleted['outbox_messages'], 5);
      await row('outbox_messages', NOW - 30 * DAY_MS);
      assert.equal((await fresh.prune({ now: NOW, batch: 2 }))!.deleted['outbox_messages'], undefined, 'drained, so idle for an hour');
    });

    it('lets one node prune at a time: a second node finds the lease taken', async () => {
      const first = createRetention(storage.db, dialect, DAYS, 'node-a');
      const second = createRetention(storage.db, dialect, DAYS, 'node-b');
      let during: unknown = 'not run';
      for (let i = 0; i < 4; i++) await row('outbox_messages', NOW - 30 * DAY_MS - i);
      await first.prune({
        now: NOW,
        batch: 2,
        onBatch: () => {
          if (during === 'not run') during = second.prune({ now: NOW });
        },
      });
      assert.equal(await during, null);
      // Released at the end: the second node may prune now.
      assert.notEqual(await second.prune({ now: NOW }), null);
    });
  });
}
