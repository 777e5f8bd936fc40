/**
 * What the roll-up reports (usage.ts, attempts.ts) share: whose rows, the day as text, and the cut of
 * a range at UTC day edges — whole days come from a roll-up's counters, the parts of a day at either
 * end of a range that does not start or end on a day's edge from raw rows.
 */
import { type RawBuilder, sql } from 'kysely';
import { DAY_MS } from './retention.js';

/** Whose sends: one tenant, or every tenant whose path starts with a prefix (its sub-accounts). */
export type UsageScope = { tenantId: number } | { pathPrefix: string };

/**
 * The scope on a table aliased `alias` joined to `tenants as t`; one tenant is named on both sides (SQLite
 * otherwise scanned every tenant first). `byTenant: false` keeps the planner off the table's tenant indexes
 * (a unary +, SQLite's documented way to disqualify a term), for a query another index answers better.
 */
export const scopeOf = (alias: string, scope: UsageScope, byTenant = true): RawBuilder<boolean> =>
  'tenantId' in scope
    ? sql<boolean>`${byTenant ? sql`` : sql`+`}${sql.ref(`${alias}.tenant_id`)} = ${scope.tenantId} and t.id = ${scope.tenantId}`
    : sql<boolean>`t.path like ${scope.pathPrefix + '%'}`;

export const dayText = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * A report's rows summed by their text fields (every field but `count`), the rows that sum to 0 left
 * out, in the order of those fields: the roll-up's whole days and the raw ends add into one answer.
 */
export class Tally<R extends { count: number }> {
  private readonly rows = new Map<string, R>();
  constructor(private readonly fields: ReadonlyArray<Exclude<keyof R, 'count'> & string>) {}

  add(row: R): void {
    const key = this.fields.map((f) => row[f]).join(' ');
    const had = this.rows.get(key);
    if (had) had.count += row.count;
    else this.rows.set(key, { ...row });
  }

  sorted(): R[] {
    const cmp = (a: unknown, b: unknown) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);
    return [...this.rows.values()].filter((r) => r.count !== 0).sort((a, b) => this.fields.reduce((c, f) => c || cmp(a[f], b[f]), 0));
  }
}

/** [startTime, endTime] as whole days [first, last) and the raw ranges left at either end; null when it holds no whole day. */
export function dayParts(startTime: number, endTime: number): { first: number; last: number; edges: Array<[number, number]> } | null {
  const first = Math.ceil(startTime / DAY_MS);
  const last = Math.floor((endTime + 1) / DAY_MS);
  if (first >= last) return null;
  const edges: Array<[number, number]> = [];
  if (startTime < first * DAY_MS) edges.push([startTime, first * DAY_MS - 1]);
  if (last * DAY_MS <= endTime) edges.push([last * DAY_MS, endTime]);
  return { first, last, edges };
}
