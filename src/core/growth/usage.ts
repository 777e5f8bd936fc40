/**
 * The usage report (sends counted by UTC day of the send, channel and status, as /2fa/usage and the
 * console chart show it), read from the roll-ups (usage_daily, migration 0025) so that it costs the
 * same at any size and stays the same after raw rows are pruned.
 *
 * It equals the count from raw rows exactly: whole days come from the counters; a pending code past
 * its expiry that the expiry pass has not reached yet (a minute's worth at most) is moved from pending
 * to expired, as the raw report's effective status does; the parts of a day at either end of a range
 * that does not start or end on a day's edge are counted from raw rows.
 */
import { sql } from 'kysely';
import type { Db } from '../../storage/database.js';
import { Tally, type UsageScope, dayParts, dayText, scopeOf } from './report-days.js';
import { DAY_MS } from './retention.js';
import { expiring } from '../verifications/tables.js';

export interface UsageRow {
  day: string;
  channel: string;
  status: string;
  count: number;
}

/** A pending code past its timeout is reported as expired, whether or not anyone tried it since. */
const effectiveStatus = (now: number) => sql<string>`case when v.status = 'pending' and v.expires_at <= ${sql.lit(now)} then 'expired' else v.status end`;

/** The report counted from raw rows over [startTime, endTime] (what it was before roll-ups). */
export async function rawUsage(db: Db, scope: UsageScope, startTime: number, endTime: number, now: number): Promise<UsageRow[]> {
  const day = sql<number>`v.created_at / ${sql.lit(DAY_MS)}`;
  const status = effectiveStatus(now);
  const rows = await db
    .selectFrom('verifications as v')
    .innerJoin('tenants as t', 't.id', 'v.tenant_id')
    .where(scopeOf('v', scope))
    .where('v.created_at', '>=', startTime)
    .where('v.created_at', '<=', endTime)
    .select((eb) => ['v.channel', status.as('status'), day.as('day'), eb.fn.countAll<number>().as('count')])
    .groupBy(['v.channel', status, day])
    .execute();
  const counts = usageTally();
  for (const r of rows) counts.add({ day: dayText(Math.floor(Number(r.day))), channel: r.channel, status: r.status, count: Number(r.count) });
  return counts.sorted();
}

/** The same report from the roll-ups. */
export async function usageReport(db: Db, scope: UsageScope, startTime: number, endTime: number, now: number): Promise<UsageRow[]> {
  const parts = dayParts(startTime, endTime);
  if (!parts) return rawUsage(db, scope, startTime, endTime, now);
  const { first, last } = parts;
  const counts = usageTally();
  const add = (day: string, channel: string, status: string, count: number) => counts.add({ day, channel, status, count });
  const edges = parts.edges.map(([from, to]) => rawUsage(db, scope, from, to, now));
  const rolled = db
    .selectFrom('usage_daily as u')
    .innerJoin('tenants as t', 't.id', 'u.tenant_id')
    .where(scopeOf('u', scope))
    .where('u.day', '>=', first)
    .where('u.day', '<', last)
    .select((eb) => ['u.day', 'u.channel', 'u.status', eb.fn.sum<number>('u.count').as('count')])
    .groupBy(['u.day', 'u.channel', 'u.status'])
    .execute();
  // The late codes are a few live ones, found by the partial index of pending codes, not among the
  // tenant's whole month: a unary + on the tenant and the creation time keeps the planner off the
  // tenant's indexes (SQLite's documented way to disqualify a term). Without it SQLite took the month:
  // with no statistics at all (a young database: 116 ms for 200,000 codes of the day), and even with
  // sqlite_stat1 alone (storage.ts drops ANALYZE's samples) when the guesses for the two ranges were close.
  const late = db
    .selectFrom('verifications as v')
    .innerJoin('tenants as t', (join) => join.on(sql<boolean>`t.id = +v.tenant_id`))
    .where(scopeOf('v', scope, false))
    .where(expiring('v.'))
    .where('v.expires_at', '<=', now)
    .where(sql<number>`+v.created_at`, '>=', first * DAY_MS)
    .where(sql<number>`+v.created_at`, '<', last * DAY_MS)
    .select((eb) => [sql<number>`v.created_at / ${sql.lit(DAY_MS)}`.as('day'), 'v.channel', eb.fn.countAll<number>().as('count')])
    .groupBy([sql`v.created_at / ${sql.lit(DAY_MS)}`, 'v.channel'])
    .execute();
  for (const r of await rolled) add(dayText(Number(r.day)), r.channel, r.status, Number(r.count));
  for (const r of await late) {
    add(dayText(Math.floor(Number(r.day))), r.channel, 'pending', -Number(r.count));
    add(dayText(Math.floor(Number(r.day))), r.channel, 'expired', Number(r.count));
  }
  for (const part of await Promise.all(edges)) for (const r of part) add(r.day, r.channel, r.status, r.count);
  return counts.sorted();
}

const usageTally = () => new Tally<UsageRow>(['day', 'channel', 'status']);
