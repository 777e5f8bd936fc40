/**
 * PostgreSQL: a send's writes as one function, so that they are one round trip and one transaction
 * (core/verifications/queries.ts). SQLite needs nothing: its group commit already puts them in one.
 */
import { type Kysely, sql } from 'kysely';
import { isPostgres } from './columns.js';

export async function up(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return;
  // Sends to one recipient take turns on an advisory lock held to the commit. Each statement of a
  // PL/pgSQL function reads a fresh snapshot, so the retiring update sees the code the previous
  // turn inserted: one live code per recipient, and no two updates locking the same rows in
  // different orders (the deadlock of concurrent sends). The default limit's bucket is taken here
  // too (null key: no bucket); false when it is empty, and then nothing is written.
  await sql`
    create function gh_send_open(
      p_request_id varchar, p_tenant_id integer, p_service varchar, p_channel varchar, p_to varchar,
      p_code_hash varchar, p_expires_at bigint, p_now bigint, p_guard_until bigint,
      p_bucket_key varchar, p_bucket_max double precision, p_bucket_interval bigint, p_detail varchar
    ) returns boolean language plpgsql
    -- Its statements are planned for each call's values: plans cached while the tables were empty
    -- chose the wrong index once they had grown (test/core/verifications-plans.test.ts).
    set plan_cache_mode = force_custom_plan
    as $$
    begin
      perform pg_advisory_xact_lock(hashtextextended(p_tenant_id::text || ':' || p_service || ':' || p_to, 0));
      if p_bucket_key is not null then
        insert into token_buckets as b (key, tokens, updated_at, expires_at)
          values (p_bucket_key, p_bucket_max - 1, p_now, p_now + p_bucket_interval)
          on conflict (key) do update
            set tokens = least(p_bucket_max, b.tokens + greatest(0, p_now - b.updated_at) * p_bucket_max / p_bucket_interval) - 1,
                updated_at = p_now, expires_at = p_now + p_bucket_interval
            where least(p_bucket_max, b.tokens + greatest(0, p_now - b.updated_at) * p_bucket_max / p_bucket_interval) >= 1;
        if not found then
          return false;
        end if;
      end if;
      if p_guard_until is null then
        update verifications set status = 'canceled', updated_at = p_now
          where tenant_id = p_tenant_id and service = p_service and "to" = p_to and status = 'pending';
      else
        update verifications set expires_at = p_guard_until, updated_at = p_now
          where tenant_id = p_tenant_id and service = p_service and "to" = p_to and status = 'pending' and expires_at > p_guard_until;
      end if;
      insert into verifications (request_id, tenant_id, service, channel, "to", code_hash, status, attempts, expires_at, created_at, updated_at, delivery_status)
        values (p_request_id, p_tenant_id, p_service, p_channel, p_to, p_code_hash, 'pending', 0, p_expires_at, p_now, p_now, 'pending');
      insert into verification_events (request_id, tenant_id, type, detail, created_at)
        values (p_request_id, p_tenant_id, 'created', p_detail, p_now);
      return true;
    end
    $$`.execute(db);
}
