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
 * pending row is never removed uncounted), then deletes in batches of BATCH rows, each its own short
 * transaction, and rests between batches as long as the batch took: on SQLite a write holds the one
 * writer's lock and a synchronous call holds the event loop, so no request waits longer than one batch.
 */
import { randomUUID } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../storage/database.js';
import { expiring } from '../verifications/tables.js';

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
 * A table whose pass found nothing more past its age (its last batch came back short) is looked at again
 * an hour later, not at every pass: without an index on its date, finding that nothing is old reads the whole walk (on 10 million
 * verifications and their 28 million events, 1.6 s and 7.5 s of the database's time), and ages are days.
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

  /**
   * Marks up to `batch` pending codes past their expiry 'expired'; the roll-up trigger moves each
   * from pending to expired. On PostgreSQL the rows another transaction holds are skipped (the next
   * pass gets them) and the counters go to shard 16, so the pass waits on no request.
   */
  async function expireBatch(now: number, batch: number): Promise<number> {
    const pick = sql`select id from verifications where ${sql.raw(expiring())} and expires_at <= ${now} order by expires_at limit ${batch}`;
    if (dialect === 'sqlite') {
      const r = await sql`update verifications set status = 'expired' where id in (${pick}) and status = 'pending'`.execute(db);
      return Number(r.numAffectedRows ?? 0);
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

  async function deleteBatch(line: RetentionLine, cutoff: number, batch: number): Promise<number> {
    const table = sql.table(line.table);
    const walk = sql.ref(line.walk);
    const also: RawBuilder<unknown> = line.also ? sql` and ${sql.raw(line.also)}` : sql``;
    const r = await sql`delete from ${table} where ${walk} in (select ${walk} from ${table} where ${sql.ref(line.time)} < ${cutoff}${also} order by ${walk} limit ${batch})`.execute(db);
    return Number(r.numAffectedRows ?? 0);
  }

  /** Runs batches of `step` until one comes back short, resting between them as long as each took. */
  async function drain(table: string, step: () => Promise<number>, batch: number, onBatch: PruneOptions['onBatch']): Promise<number> {
    let total = 0;
    for (;;) {
      const started = performance.now();
      const n = await step();
      total += n;
      if (onBatch?.(table, n) === false || n < batch) return total;
      await rest(performance.now() - started);
      if (!(await lease(Date.now()))) return total;
    }
  }

  /** One pass: expiry, then every line whose kind has an age. Nothing when another node holds the lease. */
  async function prune(options: PruneOptions = {}): Promise<PruneResult | null> {
    const batch = options.batch ?? 500;
    const now = options.now ?? Date.now();
    if (!(await lease(Date.now()))) return null;
    try {
      const result: PruneResult = { expired: 0, deleted: {} };
      result.expired = await drain('verifications', () => expireBatch(options.now ?? Date.now(), batch), batch, options.onBatch);
      const present = new Set((await db.introspection.getTables()).map((t) => t.name));
      for (const line of options.lines ?? RETENTION) {
        const age = days[line.kind];
        if (!age || !present.has(line.table)) continue;
        if ((idleUntil.get(line.table) ?? 0) > Date.now()) continue;
        const cutoff = now - age * DAY_MS;
        let last = batch;
        const deleted = await drain(line.table, async () => (last = await deleteBatch(line, cutoff, batch)), batch, options.onBatch);
        result.deleted[line.table] = (result.deleted[line.table] ?? 0) + deleted;
        // A short batch: nothing is left past its age.
        if (last < batch) idleUntil.set(line.table, Date.now() + IDLE_MS);
      }
      return result;
    } finally {
      await release();
    }
  }

  return { prune, expireBatch };
}

export type Retention = ReturnType<typeof createRetention>;
