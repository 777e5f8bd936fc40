/**
 * Conversion counts in the fraud_prefix_counts table (shared state in SQL). A send is one upsert:
 * PostgreSQL's ON CONFLICT DO UPDATE takes the row's lock and evaluates the SET on its newest
 * version, so concurrent sends on any node are judged one after another; SQLite runs one writer.
 * The SET rolls the half-windows, judges, counts and blocks in one expression per column.
 */
import type { Statements } from '../../storage/statements.js';
import type { Db } from '../../storage/database.js';
import type { Admission, ConversionRule, ConversionStore } from './conversion.js';
import { slotOf } from './conversion.js';

/** `:name` placeholders to `?` with the parameter list in order (a name may appear many times). */
function bind(text: string): { sql: string; names: string[] } {
  const names: string[] = [];
  const sql = text.replace(/:([a-z]+)/g, (_m, name: string) => (names.push(name), '?'));
  return { sql, names };
}

const T = 'fraud_prefix_counts';
// The row as of the current half-window: its own counts move to "previous" once a half-window passed.
// A node whose clock is a little behind another's never rolls the row back (SLOT is the later one).
const SLOT = `(case when ${T}.slot > :slot then ${T}.slot else :slot end)`;
const CUR_S = `(case when ${T}.slot >= :slot then ${T}.sent else 0 end)`;
const CUR_V = `(case when ${T}.slot >= :slot then ${T}.verified else 0 end)`;
const PREV_S = `(case when ${T}.slot >= :slot then ${T}.prev_sent when ${T}.slot = :slot - 1 then ${T}.sent else 0 end)`;
const PREV_V = `(case when ${T}.slot >= :slot then ${T}.prev_verified when ${T}.slot = :slot - 1 then ${T}.verified else 0 end)`;
const SENT = `(${CUR_S} + ${PREV_S})`;
const VERIFIED = `(${CUR_V} + ${PREV_V})`;
const BLOCKED = `(${T}.blocked_until > :now)`;
const TRIP = `(not ${BLOCKED} and ${SENT} >= :minsends and ${VERIFIED} * 100 < :percent * ${SENT})`;

export function conversionSql(dialect: 'sqlite' | 'postgres') {
  // PostgreSQL must know each parameter's type; SQLite takes them as given.
  const big = (name: string) => (dialect === 'postgres' ? `cast(:${name} as bigint)` : `:${name}`);
  const typed = (s: string) => s.replace(/:(slot|now|minsends|percent)\b/g, (_m, n: string) => big(n));
  const admit = bind(typed(`insert into ${T} (tenant_id, prefix, slot, sent, verified, prev_sent, prev_verified, blocked_until, last_outcome, updated_at)
    values (:tenant, :prefix, :slot, 1, 0, 0, 0, 0, 'o', :now)
    on conflict (tenant_id, prefix) do update set
      sent = ${CUR_S} + (case when ${BLOCKED} or ${TRIP} then 0 else 1 end),
      verified = ${CUR_V},
      prev_sent = ${PREV_S},
      prev_verified = ${PREV_V},
      last_outcome = (case when ${BLOCKED} then 'b' when ${TRIP} then 't' else 'o' end),
      blocked_until = (case when ${TRIP} then ${big('until')} else ${T}.blocked_until end),
      slot = ${SLOT},
      updated_at = :now
    returning sent, verified, prev_sent, prev_verified, blocked_until, last_outcome`));
  const converted = bind(typed(`insert into ${T} (tenant_id, prefix, slot, sent, verified, prev_sent, prev_verified, blocked_until, last_outcome, updated_at)
    values (:tenant, :prefix, :slot, 0, 1, 0, 0, 0, 'o', :now)
    on conflict (tenant_id, prefix) do update set
      sent = ${CUR_S}, verified = ${CUR_V} + 1, prev_sent = ${PREV_S}, prev_verified = ${PREV_V}, slot = ${SLOT}, updated_at = :now`));
  return { admit, converted };
}

interface Row {
  sent: number | string;
  verified: number | string;
  prev_sent: number | string;
  prev_verified: number | string;
  blocked_until: number | string;
  last_outcome: string;
}

export function createSqlConversion({ db, dialect, statements }: { db: Db; dialect: 'sqlite' | 'postgres'; statements: Statements }, rule: ConversionRule): ConversionStore {
  const sql = conversionSql(dialect);
  const admitting = statements.prepare<Row>(sql.admit.sql);
  const converting = statements.prepare(sql.converted.sql);
  const values = (names: string[], v: Record<string, string | number>) => names.map((n) => v[n]!);
  return {
    async admit(tenantId, prefix, now): Promise<Admission> {
      const v = { tenant: tenantId, prefix, slot: slotOf(now, rule), now, minsends: rule.minSends, percent: rule.minConversionPercent, until: now + rule.blockMs };
      const row = (await admitting.get(...values(sql.admit.names, v)))!;
      const outcome = row.last_outcome === 'b' ? 'blocked' : row.last_outcome === 't' ? 'tripped' : 'counted';
      // Counted: the row holds this send; as judged, the window held one fewer.
      const sent = Number(row.sent) + Number(row.prev_sent) - (outcome === 'counted' ? 1 : 0);
      return { outcome, sent, verified: Number(row.verified) + Number(row.prev_verified), blockedUntil: Number(row.blocked_until) };
    },
    async converted(tenantId, prefix, now) {
      await converting.run(...values(sql.converted.names, { tenant: tenantId, prefix, slot: slotOf(now, rule), now }));
    },
    async lift(tenantId, prefix) {
      await db.updateTable('fraud_prefix_counts').set({ sent: 0, verified: 0, prev_sent: 0, prev_verified: 0, blocked_until: 0, last_outcome: 'o' }).where('tenant_id', '=', tenantId).where('prefix', '=', prefix).execute();
    },
  };
}
