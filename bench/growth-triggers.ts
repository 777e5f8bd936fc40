/**
 * bench/growth-triggers: what the usage roll-up's triggers cost a send's writes and a verify's, on
 * SQLite and PostgreSQL: the same statements (core/verifications/queries.ts) with the triggers and
 * with them dropped, in alternating rounds on one fresh database, in one process (no HTTP). On SQLite
 * the roll-ups have no trigger on verifications since migrations 0029 and 0030 (the statements count
 * themselves): there this compares the statements with the one trigger left, which never fires for them.
 * The rounds that found the cost (42 µs of a send's writes with the triggers, 24 without) ran before 0029.
 * Run: node --import tsx bench/growth-triggers.ts   Env: TRIGGER_SENDS (5,000 a round), BENCH_ROUNDS (4).
 */
import { sql } from 'kysely';
import { parseDatabaseUrl } from '../src/config.js';
import { verificationQueries } from '../src/core/verifications/queries.js';
import { migrate, openStorage } from '../src/storage/storage.js';
import { createTestDatabase } from '../test/helpers/services.js';

const N = Number(process.env.TRIGGER_SENDS ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);

for (const dialect of ['sqlite', 'postgres'] as const) {
  const database = await createTestDatabase(dialect);
  const storage = openStorage(parseDatabaseUrl(database.url));
  await migrate(storage.db);
  await sql`insert into tenants (sid, name, parent_id, path, created_at, updated_at) values ('AC1', 't', null, '/AC1/', 0, 0)`.execute(storage.db);
  const q = verificationQueries(storage.statements, dialect, 5);
  const triggers = dialect === 'sqlite'
    ? (await sql<{ name: string; sql: string }>`select name, sql from sqlite_master where type = 'trigger' and tbl_name = 'verifications'`.execute(storage.db)).rows
    : [];
  let serial = 0;
  const round = async () => {
    const ids: string[] = [];
    const t0 = performance.now();
    // 50 at once, as a loaded server has them in flight.
    for (let i = 0; i < N; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => {
        const requestId = `OTP${(++serial).toString(16).padStart(32, '0')}`;
        ids.push(requestId);
        return q.open({ requestId, tenantId: 1, service: 's', channel: 'sms', to: `+4477009${String(serial).padStart(6, '0')}`, codeHash: 'h', expiresAt: Date.now() + 60_000, now: Date.now(), guardUntil: null, bucket: null, detail: 'd' });
      }));
    }
    const send = ((performance.now() - t0) * 1000) / N;
    const t1 = performance.now();
    for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map((id) => q.count(id, 1, Date.now(), 'h')));
    return { send, verify: ((performance.now() - t1) * 1000) / N };
  };
  let now = true;
  const on = async (enabled: boolean) => {
    if (enabled === now) return;
    now = enabled;
    if (dialect === 'postgres') await sql.raw(`alter table verifications ${enabled ? 'enable' : 'disable'} trigger user`).execute(storage.db);
    else if (enabled) for (const t of triggers) await sql.raw(t.sql).execute(storage.db);
    else for (const t of triggers) await sql.raw(`drop trigger if exists ${t.name}`).execute(storage.db);
  };
  await round(); // warm-up
  const results: Record<string, Array<{ send: number; verify: number }>> = { with: [], without: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const enabled of r % 2 === 0 ? [true, false] : [false, true]) {
      await on(enabled);
      results[enabled ? 'with' : 'without']!.push(await round());
    }
  }
  await on(true);
  const best = (list: Array<{ send: number; verify: number }>, k: 'send' | 'verify') => Math.min(...list.map((x) => x[k]));
  console.log(`${dialect}: µs of wall time per operation, best of ${ROUNDS} rounds of ${N}, 50 in flight`);
  console.log(`  send's writes: with triggers ${best(results.with!, 'send').toFixed(0)}, without ${best(results.without!, 'send').toFixed(0)}`);
  console.log(`  verify's write: with triggers ${best(results.with!, 'verify').toFixed(0)}, without ${best(results.without!, 'verify').toFixed(0)}`);
  await storage.close();
  await database.drop();
}
