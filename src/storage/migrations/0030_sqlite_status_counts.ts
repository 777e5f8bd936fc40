/**
 * On SQLite the last roll-up trigger on verifications goes too: the one that moved a code's usage count
 * when its status changed (0025). Its presence made SQLite keep a statement journal for every statement
 * that sets a status, and that cost grew with the database: a send's retiring update, which changes
 * nothing for a new number, took 48 µs at 5 million codes against 9 µs without the trigger (72 µs in the
 * server, where bench/growth.ts measured a send at half its empty-database rate). The statements that
 * change a status count the move themselves, in the same transaction (core/verifications/queries.ts,
 * core/growth/retention.ts). The trigger that counts a provider's change to the outbox stays: only the
 * queue's record of a delivery sets a provider, off the request path. PostgreSQL keeps its triggers.
 */
import { type Kysely, sql } from 'kysely';
import { countrySql } from './0025_growth.js';
import { isPostgres } from './columns.js';

const DAY_MS = 86_400_000;

export async function up(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) return;
  await sql`drop trigger if exists verifications_usage_update`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) return;
  const add = (row: string, delta: number) => `
    insert into usage_daily (tenant_id, day, channel, country, status, shard, "count")
      values (${row}.tenant_id, ${row}.created_at / ${DAY_MS}, ${row}.channel, ${countrySql(row)}, ${row}.status, 0, ${delta})
      on conflict (tenant_id, day, channel, country, status, shard) do update set "count" = "count" + ${delta};`;
  await sql
    .raw(`create trigger verifications_usage_update after update of status on verifications when old.status <> new.status begin ${add('old', -1)} ${add('new', 1)} end`)
    .execute(db);
}
