/**
 * The usage report's delivery tries (per UTC day of the send and channel of the try, as /2fa/usage's
 * `attempts` shows them), read from the roll-up attempts_daily (migration 0027) so that the report
 * after delivery_attempts are pruned equals the one before. A try is a row of delivery_attempts, or a
 * send delivered to the development outbox (its one try is the request's own).
 *
 * Whole days come from the counters; the parts of a day at either end of a range that does not start
 * or end on a day's edge are counted from raw rows, as usage.ts does for sends.
 */
import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../storage/database.js';
import { DAY_MS } from './retention.js';
import type { UsageScope } from './usage.js';

export interface AttemptRow {
  day: string;
  channel: string;
  count: number;
}

const scopeOf = (alias: 'v' | 'a', scope: UsageScope): RawBuilder<boolean> =>
  'tenantId' in scope
    ? sql<boolean>`${sql.ref(`${alias}.tenant_id`)} = ${scope.tenantId} and t.id = ${scope.tenantId}`
    : sql<boolean>`t.path like ${scope.pathPrefix + '%'}`;

const dayText = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The tries of the sends made in [startTime, endTime], counted from raw rows. */
export async function rawAttempts(db: Db, scope: UsageScope, startTime: number, endTime: number): Promise<AttemptRow[]> {
  const day = sql<number>`v.created_at / ${sql.lit(DAY_MS)}`;
  const queued = db
    .selectFrom('delivery_attempts as a')
    .innerJoin('verifications as v', 'v.request_id', 'a.request_id')
    .innerJoin('tenants as t', 't.id', 'v.tenant_id')
    .where(scopeOf('v', scope))
    .where('v.created_at', '>=', startTime)
    .where('v.created_at', '<=', endTime)
    .select((eb) => ['a.channel', day.as('day'), eb.fn.countAll<number>().as('count')])
    .groupBy(['a.channel', day])
    .execute();
  const outbox = db
    .selectFrom('verifications as v')
    .innerJoin('tenants as t', 't.id', 'v.tenant_id')
    .where(scopeOf('v', scope))
    .where('v.provider', '=', 'outbox')
    .where('v.created_at', '>=', startTime)
    .where('v.created_at', '<=', endTime)
    .select((eb) => ['v.channel', day.as('day'), eb.fn.countAll<number>().as('count')])
    .groupBy(['v.channel', day])
    .execute();
  const counts = new Counts();
  for (const r of [...(await queued), ...(await outbox)]) counts.add(dayText(Math.floor(Number(r.day))), r.channel, Number(r.count));
  return counts.rows();
}

/** The same, from the roll-up. */
export async function attemptReport(db: Db, scope: UsageScope, startTime: number, endTime: number): Promise<AttemptRow[]> {
  const first = Math.ceil(startTime / DAY_MS);
  const last = Math.floor((endTime + 1) / DAY_MS);
  if (first >= last) return rawAttempts(db, scope, startTime, endTime);
  const edges = [
    startTime < first * DAY_MS ? rawAttempts(db, scope, startTime, first * DAY_MS - 1) : [],
    last * DAY_MS <= endTime ? rawAttempts(db, scope, last * DAY_MS, endTime) : [],
  ];
  const rolled = await db
    .selectFrom('attempts_daily as a')
    .innerJoin('tenants as t', 't.id', 'a.tenant_id')
    .where(scopeOf('a', scope))
    .where('a.day', '>=', first)
    .where('a.day', '<', last)
    .select((eb) => ['a.day', 'a.channel', eb.fn.sum<number>('a.count').as('count')])
    .groupBy(['a.day', 'a.channel'])
    .execute();
  const counts = new Counts();
  for (const r of rolled) counts.add(dayText(Number(r.day)), r.channel, Number(r.count));
  for (const part of await Promise.all(edges)) for (const r of part) counts.add(r.day, r.channel, r.count);
  return counts.rows();
}

class Counts {
  private readonly map = new Map<string, AttemptRow>();
  add(day: string, channel: string, n: number) {
    const row = this.map.get(`${day} ${channel}`);
    if (row) row.count += n;
    else this.map.set(`${day} ${channel}`, { day, channel, count: n });
  }
  rows(): AttemptRow[] {
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return [...this.map.values()].filter((r) => r.count !== 0).sort((a, b) => cmp(a.day, b.day) || cmp(a.channel, b.channel));
  }
}
