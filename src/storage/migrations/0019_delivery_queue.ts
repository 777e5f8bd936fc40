/**
 * The delivery queue (core/queue): one row per job, claimed by any process with a lease, and one row
 * per delivery attempt of a code, which the SDR shows. On PostgreSQL a send to a real provider writes
 * its request and its job in one call (gh_send_queue), one round trip and one transaction, as
 * SQLite's group commit does by itself.
 */
import { type Kysely, sql } from 'kysely';
import { isPostgres, withId } from './columns.js';

export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('delivery_jobs'))
    // "<kind>:<ref>", unique: enqueuing the same job twice adds nothing; the sealing context of payload.
    .addColumn('key', 'varchar(200)', (c) => c.notNull().unique())
    .addColumn('kind', 'varchar(32)', (c) => c.notNull())
    .addColumn('tenant_id', 'integer')
    .addColumn('ref', 'varchar(160)', (c) => c.notNull())
    // queued | running | done | failed | canceled. A running job's run_at is the end of its lease.
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    // Every claim adds one: a worker's result is written only while the job is still its claim.
    .addColumn('claims', 'integer', (c) => c.notNull().defaultTo(0))
    // Attempts in the current stage (a stage is one channel of a code's fallback chain).
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('stage', 'integer', (c) => c.notNull().defaultTo(0))
    // A handler's small note between claims (the provider id a delivery report is awaited for).
    .addColumn('note', 'varchar(200)')
    // Sealed (core/secrets), cleared when the job ends: it may hold a code.
    .addColumn('payload', 'text')
    .addColumn('last_error', 'varchar(500)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // The claim's one index: only live jobs are in it, so it stays as small as the queue.
  await sql`create index delivery_jobs_due on delivery_jobs (run_at) where state in ('queued', 'running')`.execute(db);
  await sql`create index delivery_jobs_ref on delivery_jobs (ref)`.execute(db);

  await withId(db, db.schema.createTable('delivery_attempts'))
    .addColumn('job_id', 'integer')
    .addColumn('request_id', 'varchar(160)', (c) => c.notNull())
    .addColumn('tenant_id', 'integer')
    .addColumn('channel', 'varchar(16)', (c) => c.notNull())
    .addColumn('provider', 'varchar(32)', (c) => c.notNull())
    .addColumn('provider_id', 'varchar(200)')
    // accepted | delivered | retry | failed | undelivered
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('error', 'varchar(500)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('delivery_attempts_request').on('delivery_attempts').columns(['request_id', 'id']).execute();
  await db.schema.createIndex('delivery_attempts_provider_id').on('delivery_attempts').column('provider_id').execute();

  if (!isPostgres(db)) return;
  await sql`
    create function gh_send_queue(
      p_request_id varchar, p_tenant_id integer, p_service varchar, p_channel varchar, p_to varchar,
      p_code_hash varchar, p_expires_at bigint, p_now bigint, p_guard_until bigint,
      p_bucket_key varchar, p_bucket_max double precision, p_bucket_interval bigint, p_detail varchar,
      p_job_key varchar, p_payload text
    ) returns boolean language plpgsql
    as $$
    begin
      if not gh_send_open(p_request_id, p_tenant_id, p_service, p_channel, p_to, p_code_hash, p_expires_at, p_now,
                          p_guard_until, p_bucket_key, p_bucket_max, p_bucket_interval, p_detail) then
        return false;
      end if;
      insert into delivery_jobs (key, kind, tenant_id, ref, state, run_at, payload, created_at, updated_at)
        values (p_job_key, 'code', p_tenant_id, p_request_id, 'queued', p_now, p_payload, p_now, p_now);
      return true;
    end
    $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) await sql`drop function if exists gh_send_queue`.execute(db);
  await db.schema.dropTable('delivery_attempts').execute();
  await db.schema.dropTable('delivery_jobs').execute();
}
