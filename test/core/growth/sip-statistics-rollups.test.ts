/**
 * Flexisip statistics read from roll-ups equal the figures counted from the records, whatever order
 * the SIP server reports in: messages, then device deliveries that come, change status (a 2xx turned
 * 4xx, a later 2xx) and move a recipient's first delivery to another day; calls, devices that ring,
 * accept or not, and calls that end later. A property test over random reports, on both dialects; then
 * the records are pruned and the figures stay the same.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { parseDatabaseUrl } from '../../../src/config.js';
import { DAY_MS, createRetention } from '../../../src/core/growth/retention.js';
import { rawFigures, rolledFigures } from '../../../src/core/sip-statistics/statistics.js';
import { type Storage, migrate, openStorage } from '../../../src/storage/storage.js';
import { DIALECTS, type TestDatabase, createTestDatabase, skipDialect } from '../../helpers/services.js';

const START = Date.UTC(2026, 2, 1);
const DOMAINS = ['a.example', 'b.example'];
const time = fc.integer({ min: 0, max: 4 * DAY_MS });

const report = fc.oneof(
  fc.record({ kind: fc.constant('message' as const), domain: fc.nat(1), at: time, encrypted: fc.boolean() }),
  fc.record({ kind: fc.constant('delivery' as const), message: fc.nat(), user: fc.nat(1), domain: fc.nat(1), device: fc.nat(2), status: fc.constantFrom(200, 202, 404, 480), at: time }),
  fc.record({ kind: fc.constant('call' as const), domain: fc.nat(1), at: time }),
  fc.record({ kind: fc.constant('callDevice' as const), call: fc.nat(), device: fc.nat(2), state: fc.constantFrom('accepted', 'declined', null), at: time }),
  fc.record({ kind: fc.constant('end' as const), call: fc.nat(), at: time }),
);

for (const dialect of DIALECTS) {
  describe(`Flexisip statistics roll-ups on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let database: TestDatabase;
    let storage: Storage;
    let serial = 0;

    before(async () => {
      database = await createTestDatabase(dialect);
      storage = openStorage(parseDatabaseUrl(database.url));
      await migrate(storage.db);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    it('equal the figures counted from the records, with later device reports, and after pruning', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(report, { minLength: 1, maxLength: 40 }), async (reports) => {
          const db = storage.db;
          const sid = `AC${String(++serial).padStart(32, '0')}`;
          const prefix = `/${sid}/`;
          await sql`insert into tenants (sid, name, parent_id, path, created_at, updated_at) values (${sid}, 't', null, ${prefix}, 0, 0)`.execute(db);
          const tenantId = Number((await sql<{ id: number }>`select id from tenants where sid = ${sid}`.execute(db)).rows[0]!.id);
          const messages: string[] = [];
          const calls: string[] = [];
          for (const r of reports) {
            const at = START + r.at;
            if (r.kind === 'message') {
              const id = `m${sid}${messages.length}`;
              messages.push(id);
              await sql`insert into sip_statistics_messages (id, tenant_id, from_username, from_domain, sent_at, encrypted, created_at) values (${id}, ${tenantId}, 'u', ${DOMAINS[r.domain]}, ${at}, ${r.encrypted ? 1 : 0}, ${at})`.execute(db);
            } else if (r.kind === 'delivery' && messages.length) {
              const key = { message_id: messages[r.message % messages.length]!, to_username: `r${r.user}`, to_domain: DOMAINS[r.domain]!, device_id: `d${r.device}` };
              const updated = await db.updateTable('sip_statistics_message_devices').set({ last_status: r.status, received_at: at, updated_at: at })
                .where('message_id', '=', key.message_id).where('to_username', '=', key.to_username).where('to_domain', '=', key.to_domain).where('device_id', '=', key.device_id).executeTakeFirst();
              if (Number(updated.numUpdatedRows) === 0) await db.insertInto('sip_statistics_message_devices').values({ ...key, last_status: r.status, received_at: at, updated_at: at }).execute();
            } else if (r.kind === 'call') {
              const id = `c${sid}${calls.length}`;
              calls.push(id);
              await sql`insert into sip_statistics_calls (id, tenant_id, from_username, from_domain, to_username, to_domain, initiated_at, created_at, updated_at) values (${id}, ${tenantId}, 'u', ${DOMAINS[r.domain]}, 'v', 'x.example', ${at}, ${at}, ${at})`.execute(db);
            } else if (r.kind === 'callDevice' && calls.length) {
              const key = { call_id: calls[r.call % calls.length]!, device_id: `d${r.device}` };
              const values = { rang_at: at, invite_terminated_at: r.state ? at : null, invite_terminated_state: r.state, updated_at: at };
              const updated = await db.updateTable('sip_statistics_call_devices').set(values).where('call_id', '=', key.call_id).where('device_id', '=', key.device_id).executeTakeFirst();
              if (Number(updated.numUpdatedRows) === 0) await db.insertInto('sip_statistics_call_devices').values({ ...key, ...values }).execute();
            } else if (r.kind === 'end' && calls.length) {
              await db.updateTable('sip_statistics_calls').set({ ended_at: at, updated_at: at }).where('id', '=', calls[r.call % calls.length]!).execute();
            }
          }
          const from = START - DAY_MS;
          const end = START + 6 * DAY_MS;
          for (const domain of [null, DOMAINS[0]!]) assert.deepEqual(await rolledFigures(db, prefix, from, end, domain), await rawFigures(db, prefix, from, end, domain));
          const before = await rolledFigures(db, prefix, from, end, null);
          await createRetention(db, dialect, { verifications: 0, deliveries: 0, loginAudit: 0, adminAudit: 0, calls: 0, sipStatistics: 1, outbox: 0 }).prune({ now: START + 30 * DAY_MS });
          assert.deepEqual(await rawFigures(db, prefix, from, end, null), []);
          assert.deepEqual(await rolledFigures(db, prefix, from, end, null), before);
        }),
        { numRuns: 25 },
      );
    });
  });
}
