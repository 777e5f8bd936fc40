/**
 * Retention: how long each kind of data is kept, and the pass that removes what is past its age.
 *
 * Each line of RETENTION is one table: its kind (the setting that gives its age), the column that
 * dates a row, and the indexed column the pass walks in order (an integer id grows with time, so the
 * oldest rows are the first ones the index gives). A table another change adds is one more line.
 *
 * The pass runs off the request path (runtime.ts, every GATEHOUSE_RETENTION_INTERVAL seconds) on one
 * node at a time: the node holding the 'retention' lease (maintenance_leases) does it. It first marks
 * pending codes past their expiry 'expired' (so each expiry is counted once in the roll-ups, and a
 * pending row is never removed uncounted), then walks each table in windows of BATCH rows, deleting
 * those past their age, each window its own short statements, and rests between windows as long as the
 * window took: on SQLite a write holds the one writer's lock and a synchronous call holds the event
 * loop, so no request waits longer than one window.
 */
import { randomUUID } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../storage/database.js';
import { usageCountry } from '../verifications/calling-code.js';
import { expiring } from '../verifications/tables.js';

/** A code the expiry pass marked expired, as its RETURNING gives it (SQLite). */
interface ExpiredCode {
  tenant_id: number;
  created_at: number | string;
  channel: string;
  to: string;
}

export type RetentionKind = 'verifications' | 'deliveries' | 'loginAudit' | 'adminAudit' | 'calls' | 'sipStatistics' | 'outbox';

/** Days each kind is kept; 0 keeps it for ever. */
export type RetentionDays = Record<RetentionKind, number>;

export interface RetentionLine {
  kind: RetentionKind;
  table: string;
  /** The column that dates a row (epoch milliseconds). */
  time: string;
  /** An indexed column that grows with `time`: the pass takes rows in its order. */
  walk: string;
  /** A further condition a row must meet to go. */
  also?: string;
}

export const RETENTION: readonly RetentionLine[] = [
  // A pending row waits for the expiry pass, which counts it (a code lives at most a day).
  { kind: 'verifications', table: 'verifications', time: 'created_at', walk: 'id', also: "status <> 'pending'" },
  { kind: 'verifications', table: 'verification_events', time: 'created_at', walk: 'id' },
  { kind: 'loginAudit', table: 'audit_events', time: 'created_at', walk: 'id' },
  { kind: 'calls', table: 'call_records', time: 'started_at', walk: 'id' },
  { kind: 'calls', table: 'call_events', time: 'created_at', walk: 'id' },
  // Their device rows go with them (on delete cascade).
  { kind: 'sipStatistics', table: 'sip_statistics_messages', time: 'created_at', walk: 'created_at' },
  { kind: 'sipStatistics', table: 'sip_statistics_calls', time: 'created_at', walk: 'created_at' },
  { kind: 'outbox', table: 'outbox_messages', time: 'created_at', walk: 'id' },
  // Tables other work adds (migrations 0019, 0021, 0024): a line whose table does not exist yet is skipped.
  // A job is dated by its end; one still queued or running never goes.
  { kind: 'deliveries', table: 'delivery_jobs', time: 'updated_at', walk: 'id', also: "state in ('done', 'failed', 'canceled')" },
  { kind: 'deliveries', table: 'delivery_attempts', time: 'created_at', walk: 'id' },
  // Keyed by the provider's id: it is walked by created_at (index delivery_reports_created, migration 0027).
  { kind: 'deliveries', table: 'delivery_reports', time: 'created_at', walk: 'created_at' },
  { kind: 'deliveries', table: 'webhook_deliveries', time: 'created_at', walk: 'id', also: "status <> 'pending'" },
  { kind: 'adminAudit', table: 'admin_changes', time: 'created_at', walk: 'id' },
];

export const DAY_MS = 86_400_000;
const LEASE_MS = 5 * 60_000;
/**
 * A table whose walk was done is looked at again an hour later, not at every pass: a walk reads every
 * row of the table (in windows), and ages are counted in days.
 */
const IDLE_MS = 60 * 60_000;

export interface PruneOptions {
  /** Rows per delete (and per expiry update). */
  batch?: number;
  /** Lines to prune; RETENTION by default. */
  lines?: readonly RetentionLine[];
  /** The instant ages are measured from (tests); now by default. */
  now?: number;
  /** Called between batches (the bench counts them); the pass stops when it answers false. */
  onBatch?: (table: string, rows: number) => boolean | void;
}

export interface PruneResult {
  expired: number;
  deleted: Record<string, number>;
}

export function createRetention(db: Db, dialect: 'sqlite' | 'postgres', days: RetentionDays, node: string = randomUUID()) {
  const rest = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(ms, 1), 1000)));
  /** Tables with nothing past their age at the last look, and when to look again (IDLE_MS). */
  const idleUntil = new Map<string, number>();

  /** Takes or renews the lease; false when another node holds it. */
  async function lease(now: number): Promise<boolean> {
    const taken = await db
      .updateTable('maintenance_leases')
      .set({ holder: node, expires_at: now + LEASE_MS })
      .where('name', '=', 'retention')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('holder', '=', node)]))
      .executeTakeFirst();
    return Number(taken.numUpdatedRows) === 1;
  }

  async function release(): Promise<void> {
    await db.updateTable('maintenance_leases').set({ holder: null, expires_at: 0 }).where('name', '=', 'retention').where('holder', '=', node).execute();
  }

  /** SQLite: the expired codes' usage counts move from pending to expired, summed per counter row. */
  async function expireCounts(trx: Db, codes: ExpiredCode[]): Promise<void> {
    const sums = new Map<string, { tenant: number; day: number; channel: string; country: string; n: number }>();
    for (const c of codes) {
      const day = Math.floor(Number(c.created_at) / DAY_MS);
      const country = usageCountry(c.channel, c.to);
      const key = `${c.tenant_id}\u0000${day}\u0000${c.channel}\u0000${country}`;
      const sum = sums.get(key);
      if (sum) sum.n++;
      else sums.set(key, { tenant: Number(c.tenant_id), day, channel: c.channel, country, n: 1 });
    }
    for (const c of sums.values()) {
      for (const [status, n] of [['pending', -c.n], ['expired', c.n]] as const) {
        await sql`insert into usage_daily (tenant_id, day, channel, country, status, shard, "count") values (${c.tenant}, ${c.day}, ${c.channel}, ${c.country}, ${status}, 0, ${n})
          on conflict (tenant_id, day, channel, country, status, shard) do update set "count" = "count" + excluded."count"`.execute(trx);
      }
    }
  }

  /**
   * Marks up to `batch` pending codes past their expiry 'expired', each counted once: its roll-up moves
   * from pending to expired (PostgreSQL's trigger; on SQLite expireCounts, in the same transaction).
   * On PostgreSQL the rows another transaction holds are skipped (the next pass gets them) and the
   * counters go to shard 16, so the pass waits on no request.
   */
  async function expireBatch(now: number, batch: number): Promise<number> {
    const pick = sql`select id from verifications where ${expiring()} and expires_at <= ${now} order by expires_at limit ${batch}`;
    if (dialect === 'sqlite') {
      // No trigger on SQLite (migration 0030): the pass moves its codes' counts itself, in the same transaction.
      return db.transaction().execute(async (trx) => {
        const r = await sql<ExpiredCode>`update verifications set status = 'expired' where id in (${pick}) and status = 'pending'
          returning tenant_id, created_at, channel, "to"`.execute(trx);
        await expireCounts(trx, r.rows);
        return r.rows.length;
      });
    }
    return db.transaction().execute(async (trx) => {
      await sql`select set_config('gatehouse.usage_shard', '16', true)`.execute(trx);
      // `= any(array(…))`: the pick runs once, then each id through the primary key. As `in (…)`, with
      // statistics taken before the pending rows arrived, PostgreSQL ran the locking pick again for
      // every pending row (a semi join): 45 s and more on a 10-million-row table (bench/growth.ts).
      const r = await sql`update verifications set status = 'expired' where id = any(array(${pick} for update skip locked)) and status = 'pending'`.execute(trx);
      return Number(r.numAffectedRows ?? 0);
    });
  }

  /**
   * One window of a line's walk: the next `batch` rows after `after` (from the start when null), of
   * which those past their age (and `also`) are deleted. A window reads at most `batch` rows of the
   * walk's index, so no statement holds SQLite's one writer and event loop, or PostgreSQL's time, for
   * long however large the table: finding that nothing is old took one statement reading the whole walk
   * (a 90 ms stall of every request on SQLite with 720,000 rows, 7.5 s of PostgreSQL's time on 28
   * million events). Ties of a walk that is not unique (a date) all fall in the window that reaches them.
   * `end`: where the window ended; null when the walk is done.
   */
  async function deleteWindow(line: RetentionLine, cutoff: number, after: number | null, batch: number): Promise<{ deleted: number; end: number | null }> {
    const table = sql.table(line.table);
    const walk = sql.ref(line.walk);
    const from: RawBuilder<unknown> = after === null ? sql`` : sql` where ${walk} > ${after}`;
    const window = await sql<{ last: number | string | null }>`select max(${walk}) as last from (select ${walk} from ${table}${from} order by ${walk} limit ${batch}) w`.execute(db);
    const last = window.rows[0]?.last;
    if (last === null || last === undefined) return { deleted: 0, end: null };
    const end = Number(last);
    const also: RawBuilder<unknown> = line.also ? sql` and ${sql.raw(line.also)}` : sql``;
    const lower: RawBuilder<unknown> = after === null ? sql`` : sql`${walk} > ${after} and `;
    const r = await sql`delete from ${table} where ${lower}${walk} <= ${end} and ${sql.ref(line.time)} < ${cutoff}${also}`.execute(db);
    // A walk by the date itself ends at the first window that reaches the cutoff: all after it is younger.
    return { deleted: Number(r.numAffectedRows ?? 0), end: line.walk === line.time && end >= cutoff ? null : end };
  }

  /**
   * Runs `step` until it says it is done, resting between steps as long as each took: the rows the steps
   * counted, and whether it finished (not when onBatch stopped it or the lease went to another node).
   */
  async function drain(table: string, step: () => Promise<{ n: number; done: boolean }>, onBatch: PruneOptions['onBatch']): Promise<{ n: number; finished: boolean }> {
    let total = 0;
    for (;;) {
      const started = performance.now();
      const { n, done } = await step();
      total += n;
      if (done) return { n: total, finished: true };
      if (onBatch?.(table, n) === false) return { n: total, finished: false };
      await rest(performance.now() - started);
      if (!(await lease(Date.now()))) return { n: total, finished: false };
    }
  }

  /** One pass: expiry, then every line whose kind has an age. Nothing when another node holds the lease. */
  async function prune(options: PruneOptions = {}): Promise<PruneResult | null> {
    const batch = options.batch ?? 500;
    const now = options.now ?? Date.now();
    if (!(await lease(Date.now()))) return null;
    try {
      const result: PruneResult = { expired: 0, deleted: {} };
      const expiry = async () => {
        const n = await expireBatch(options.now ?? Date.now(), batch);
        return { n, done: n < batch };
      };
      const expired = await drain('verifications', expiry, options.onBatch);
      result.expired = expired.n;
      if (!expired.finished) return result;
      const present = new Set((await db.introspection.getTables()).map((t) => t.name));
      for (const line of options.lines ?? RETENTION) {
        const age = days[line.kind];
        if (!age || !present.has(line.table)) continue;
        if ((idleUntil.get(line.table) ?? 0) > Date.now()) continue;
        const cutoff = now - age * DAY_MS;
        let after: number | null = null;
        const window = async () => {
          const w = await deleteWindow(line, cutoff, after, batch);
          after = w.end;
          return { n: w.deleted, done: w.end === null };
        };
        const walk = await drain(line.table, window, options.onBatch);
        result.deleted[line.table] = (result.deleted[line.table] ?? 0) + walk.n;
        if (!walk.finished) return result;
        // The whole walk is done: nothing is left past its age until rows grow older.
        idleUntil.set(line.table, Date.now() + IDLE_MS);
      }
      return result;
    } finally {
      await release();
    }
  }

  return { prune, expireBatch };
}

export type Retention = ReturnType<typeof createRetention>;
