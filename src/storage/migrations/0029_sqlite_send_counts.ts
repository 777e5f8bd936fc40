/**
 * On SQLite a send counts itself: the triggers that counted a new verification (usage_daily, 0025) and
 * its outbox try (attempts_daily, 0027) go, and the send's own statements write the same counts in the
 * same transaction (core/verifications/queries.ts). Any trigger on verifications' inserts, even one
 * whose body is `select 1`, made SQLite keep a statement journal for every insert: 20 µs of a send's
 * 24 µs of writes without it (bench/growth-triggers.ts), a seventh of a whole send to the outbox.
 * Changes of status stay counted by their trigger (many statements change a status; only the send
 * inserts). PostgreSQL keeps its triggers: there they cost a send a few µs of its one round trip.
 */
import { type Kysely, sql } from 'kysely';
import { countrySql } from './0025_growth.js';
import { isPostgres } from './columns.js';

const DAY_MS = 86_400_000;

export async function up(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) return;
  await sql`drop trigger if exists verifications_usage_insert`.execute(db);
  await sql`drop trigger if exists verifications_outbox_attempt_insert`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) return;
  await sql
    .raw(
      `create trigger verifications_usage_insert after insert on verifications begin
        insert into usage_daily (tenant_id, day, channel, country, status, shard, "count")
          values (new.tenant_id, new.created_at / ${DAY_MS}, new.channel, ${countrySql('new')}, new.status, 0, 1)
          on conflict (tenant_id, day, channel, country, status, shard) do update set "count" = "count" + 1; end`,
    )
    .execute(db);
  await sql
    .raw(
      `create trigger verifications_outbox_attempt_insert after insert on verifications when new.provider = 'outbox' begin
        insert into attempts_daily (tenant_id, day, channel, shard, "count") values (new.tenant_id, new.created_at / ${DAY_MS}, new.channel, 0, 1)
          on conflict (tenant_id, day, channel, shard) do update set "count" = "count" + 1; end`,
    )
    .execute(db);
}
