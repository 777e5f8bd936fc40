/**
 * "Changes no row", checked: a snapshot of every table's contents (each row serialised with its
 * columns in name order, the rows sorted, the table hashed), then a diff of two snapshots naming the
 * rows added and removed. Works the same on SQLite and PostgreSQL (Kysely's introspection lists the
 * tables; values are serialised after the driver has read them, so a snapshot is compared only with
 * another of the same database).
 *
 * A refused request may write refusal records and guessing counters, and nothing else: those tables
 * are named in WRITTEN_ON_REFUSAL, the one list the reach test and the fuzz test share. A table added
 * for the same purpose (a guessing counter, say) joins this list, with its reason.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';

export const WRITTEN_ON_REFUSAL: Readonly<Record<string, string>> = {
  admin_changes: 'the admin audit trail records each refused change (core/changes)',
  audit_events: 'the audit trail records refusals (failed logins, refused 2FA codes)',
  login_locks: 'failed password attempts counted towards a lock-out',
  maintenance_leases: 'not a refusal: the pruning pass takes and returns its lease every minute, so a slow batch spans one (core/growth/retention.ts)',
  shared_state: 'rate-limit and guessing counters, nonces (the SQL form of the shared state)',
  token_buckets: 'rate-limit buckets taken by a refused attempt',
  verification_events: 'a wrong one-time code is recorded as an attempt on its verification',
};

/**
 * Columns a refused request may change in a table that is otherwise compared: a credential's last use
 * is written whenever it authenticates, whatever the route then answers (at most once a minute,
 * a moment later: core/credentials/last-used.ts).
 */
export const COLUMNS_WRITTEN_ON_REFUSAL: Readonly<Record<string, readonly string[]>> = {
  api_keys: ['last_used_at'],
  auth_tokens: ['last_used_at'],
};

export interface Snapshot {
  /** Table → hash of its sorted rows. */
  hashes: Map<string, string>;
  /** Table → its rows, serialised and sorted (kept to say what changed). */
  rows: Map<string, string[]>;
}

const serialise = (row: Record<string, unknown>, skip: readonly string[] = []) =>
  JSON.stringify(
    Object.keys(row)
      .filter((k) => !skip.includes(k))
      .sort()
      .map((k) => [k, row[k]]),
    (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v),
  );

/** Every table of the database but the migrator's own and those in `except`. */
export async function tablesOf(db: Kysely<any>, except: Iterable<string> = Object.keys(WRITTEN_ON_REFUSAL)): Promise<string[]> {
  const skip = new Set(except);
  return (await db.introspection.getTables()).map((t) => t.name).filter((name) => !skip.has(name)).sort();
}

export async function snapshot(db: Kysely<any>, tables: string[]): Promise<Snapshot> {
  const hashes = new Map<string, string>();
  const rows = new Map<string, string[]>();
  await Promise.all(
    tables.map(async (table) => {
      const all = (await db.selectFrom(table).selectAll().execute()).map((row) => serialise(row, COLUMNS_WRITTEN_ON_REFUSAL[table])).sort();
      rows.set(table, all);
      hashes.set(table, createHash('sha256').update(all.join('\n')).digest('hex'));
    }),
  );
  return { hashes, rows };
}

/** What changed between two snapshots of the same tables: one line per changed table, empty when nothing. */
export function changes(before: Snapshot, after: Snapshot, max = 3): string[] {
  const out: string[] = [];
  for (const [table, hash] of before.hashes) {
    if (after.hashes.get(table) === hash) continue;
    const was = new Set(before.rows.get(table));
    const now = new Set(after.rows.get(table));
    const added = [...now].filter((r) => !was.has(r));
    const removed = [...was].filter((r) => !now.has(r));
    const cut = (rs: string[]) => rs.slice(0, max).map((r) => (r.length > 400 ? `${r.slice(0, 400)}…` : r));
    out.push(`${table}: ${added.length} row(s) added or changed ${JSON.stringify(cut(added))}, ${removed.length} removed or changed ${JSON.stringify(cut(removed))}`);
  }
  return out;
}
