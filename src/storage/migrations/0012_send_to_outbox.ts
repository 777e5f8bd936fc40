/**
 * PostgreSQL: a send of a code to the development outbox as one round trip and one transaction, as
 * SQLite's group commit makes it (core/verifications/queries.ts). gh_send_open makes the request;
 * the outbox row is its delivery, so the request is marked delivered and the delivery recorded in
 * the same call. Nothing is written when the bucket was empty.
 */
import { type Kysely, sql } from 'kysely';
import { isPostgres } from './columns.js';

export async function up(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return;
  // The update finds the row by request_id alone: its unique index is the only one that can serve
  // it, so the plan cached for the function cannot go wrong as the table grows.
  await sql`
    create function gh_send_to_outbox(
      p_request_id varchar, p_tenant_id integer, p_service varchar, p_channel varchar, p_to varchar,
      p_code_hash varchar, p_expires_at bigint, p_now bigint, p_guard_until bigint,
      p_bucket_key varchar, p_bucket_max double precision, p_bucket_interval bigint, p_detail varchar,
      p_from varchar, p_subject varchar, p_body text
    ) returns boolean language plpgsql
    as $$
    declare
      v_message bigint;
    begin
      if not gh_send_open(p_request_id, p_tenant_id, p_service, p_channel, p_to, p_code_hash, p_expires_at, p_now,
                          p_guard_until, p_bucket_key, p_bucket_max, p_bucket_interval, p_detail) then
        return false;
      end if;
      insert into outbox_messages (tenant_id, channel, "to", "from", subject, body, created_at)
        values (p_tenant_id, p_channel, p_to, p_from, p_subject, p_body, p_now)
        returning id into v_message;
      update verifications set delivery_status = 'delivered', provider = 'outbox', provider_id = v_message::text
        where request_id = p_request_id;
      insert into verification_events (request_id, tenant_id, type, detail, created_at)
        values (p_request_id, p_tenant_id, 'delivery', 'outbox: delivered', p_now);
      return true;
    end
    $$`.execute(db);
}
