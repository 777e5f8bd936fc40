/**
 * Follow-ups to the delivery queue (0019) and growth (0025):
 * - a tenant's default fallback channels (issue 23), used when a send names none;
 * - the index retention walks delivery_reports by (it has no integer key to walk in order);
 * - attempts_daily, the roll-up the usage report's per-channel tries read, kept by triggers as
 *   usage_daily is, so that a report after delivery_attempts are pruned equals the one before.
 */
import { type Kysely, sql } from 'kysely';
import { isPostgres } from './columns.js';

const DAY_MS = 86_400_000;

export async function up(db: Kysely<any>): Promise<void> {
  const pg = isPostgres(db);
  // JSON list of channel names ("call", "sms"); [] = no fallback unless the send names one.
  await db.schema.alterTable('smart2fa_settings').addColumn('default_fallback', 'text', (c) => c.notNull().defaultTo('[]')).execute();

  await db.schema.createIndex('delivery_reports_created').on('delivery_reports').column('created_at').execute();

  await attemptRollups(db, pg);
}

/**
 * attempts_daily counts delivery tries by tenant, UTC day of the send (the verification's created_at,
 * as the report groups them), channel of the try, and shard (as usage_daily: each PostgreSQL
 * connection writes its own, so that concurrent workers do not wait on one counter row). A try is a
 * row of delivery_attempts, or a send delivered to the development outbox (its one try is the request's
 * own). Triggers keep it in the statement that wrote the row; a delete changes no counter.
 */
async function attemptRollups(db: Kysely<any>, pg: boolean): Promise<void> {
  await db.schema
    .createTable('attempts_daily')
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('channel', 'varchar(16)', (c) => c.notNull())
    .addColumn('shard', 'smallint', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('attempts_daily_pk', ['tenant_id', 'day', 'channel', 'shard'])
    .execute();

  const upsert = `on conflict (tenant_id, day, channel, shard) do update set "count" = ${pg ? 'a."count"' : '"count"'} + 1;`;
  const into = `insert into attempts_daily ${pg ? 'as a ' : ''}(tenant_id, day, channel, shard, "count")`;
  // A try of a queued delivery: counted on its request's tenant and day (none if the request is gone).
  const tried = (shard: string) => `${into}
      select v.tenant_id, v.created_at / ${DAY_MS}, new.channel, ${shard}, 1 from verifications v where v.request_id = new.request_id
      ${upsert}`;
  const outboxed = (shard: string) => `${into} values (new.tenant_id, new.created_at / ${DAY_MS}, new.channel, ${shard}, 1) ${upsert}`;
  const toOutbox = (old: boolean) => `new.provider = 'outbox'${old ? ` and coalesce(old.provider, '') <> 'outbox'` : ''}`;
  if (pg) {
    const shard = `coalesce(nullif(current_setting('gatehouse.usage_shard', true), '')::smallint, (pg_backend_pid() % 16)::smallint)`;
    await sql.raw(`create function gh_attempt_count() returns trigger language plpgsql as $$ begin ${tried(shard)} return null; end $$`).execute(db);
    await sql.raw(`create function gh_outbox_attempt_count() returns trigger language plpgsql as $$ begin ${outboxed(shard)} return null; end $$`).execute(db);
    await sql`create trigger delivery_attempts_count after insert on delivery_attempts for each row execute function gh_attempt_count()`.execute(db);
    await sql.raw(`create trigger verifications_outbox_attempt_insert after insert on verifications for each row when (${toOutbox(false)}) execute function gh_outbox_attempt_count()`).execute(db);
    await sql.raw(`create trigger verifications_outbox_attempt_update after update of provider on verifications for each row when (${toOutbox(true)}) execute function gh_outbox_attempt_count()`).execute(db);
  } else {
    await sql.raw(`create trigger delivery_attempts_count after insert on delivery_attempts begin ${tried('0')} end`).execute(db);
    await sql.raw(`create trigger verifications_outbox_attempt_insert after insert on verifications when ${toOutbox(false)} begin ${outboxed('0')} end`).execute(db);
    await sql.raw(`create trigger verifications_outbox_attempt_update after update of provider on verifications when ${toOutbox(true)} begin ${outboxed('0')} end`).execute(db);
  }

  // The tries made before this migration, so that the report reads the same the moment after.
  await sql
    .raw(
      `insert into attempts_daily (tenant_id, day, channel, shard, "count")
       select tenant_id, day, channel, 0, count(*) from (
         select v.tenant_id, v.created_at / ${DAY_MS} as day, a.channel from delivery_attempts a inner join verifications v on v.request_id = a.request_id
         union all
         select v.tenant_id, v.created_at / ${DAY_MS} as day, v.channel from verifications v where v.provider = 'outbox'
       ) x group by tenant_id, day, channel`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  const pg = isPostgres(db);
  for (const [trigger, table] of [['delivery_attempts_count', 'delivery_attempts'], ['verifications_outbox_attempt_insert', 'verifications'], ['verifications_outbox_attempt_update', 'verifications']]) {
    await sql.raw(pg ? `drop trigger if exists ${trigger} on ${table}` : `drop trigger if exists ${trigger}`).execute(db);
  }
  if (pg) {
    await sql`drop function if exists gh_attempt_count`.execute(db);
    await sql`drop function if exists gh_outbox_attempt_count`.execute(db);
  }
  await db.schema.dropTable('attempts_daily').execute();
  await db.schema.dropIndex('delivery_reports_created').execute();
  await db.schema.alterTable('smart2fa_settings').dropColumn('default_fallback').execute();
}
