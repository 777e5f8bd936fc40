/**
 * The usage report's delivery tries (per UTC day of the send and channel of the try, as /2fa/usage's
 * `attempts` shows them), read from the roll-up attempts_daily (migration 0027) so that the report
 * after delivery_attempts are pruned equals the one before. A try is a row of delivery_attempts, or a
 * send delivered to the development outbox (its one try is the request's own).
 *
 * Whole days come from the counters, the ends of the range from raw rows (report-days.ts), as usage.ts
 * does for sends.
 */
import { sql } from 'kysely';
import type { Db } from '../../storage/database.js';
import { Tally, type UsageScope, dayParts, dayText, scopeOf } from './report-days.js';
import { DAY_MS } from './retention.js';

export interface AttemptRow {
  day: string;
  channel: string;
  count: number;
}

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
  const counts = attemptTally();
  for (const r of [...(await queued), ...(await outbox)]) counts.add({ day: dayText(Math.floor(Number(r.day))), channel: r.channel, count: Number(r.count) });
  return counts.sorted();
}

/** The same, from the roll-up. */
export async function attemptReport(db: Db, scope: UsageScope, startTime: number, endTime: number): Promise<AttemptRow[]> {
  const parts = dayParts(startTime, endTime);
  if (!parts) return rawAttempts(db, scope, startTime, endTime);
  const { first, last } = parts;
  const edges = parts.edges.map(([from, to]) => rawAttempts(db, scope, from, to));
  const rolled = await db
    .selectFrom('attempts_daily as a')
    .innerJoin('tenants as t', 't.id', 'a.tenant_id')
    .where(scopeOf('a', scope))
    .where('a.day', '>=', first)
    .where('a.day', '<', last)
    .select((eb) => ['a.day', 'a.channel', eb.fn.sum<number>('a.count').as('count')])
    .groupBy(['a.day', 'a.channel'])
    .execute();
  const counts = attemptTally();
  for (const r of rolled) counts.add({ day: dayText(Number(r.day)), channel: r.channel, count: Number(r.count) });
  for (const part of await Promise.all(edges)) for (const r of part) counts.add(r);
  return counts.sorted();
}

const attemptTally = () => new Tally<AttemptRow>(['day', 'channel']);
