/**
 * sip_pending_changes gains when a change was asked for and last asked again: upstream shows a
 * pending email change in the account object as `email_change_code` with its `created_at` and
 * `updated_at` (a new request replaces the code and address, keeping the first date).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sip_pending_changes').addColumn('created_at', 'bigint').execute();
  await db.schema.alterTable('sip_pending_changes').addColumn('updated_at', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sip_pending_changes').dropColumn('updated_at').execute();
  await db.schema.alterTable('sip_pending_changes').dropColumn('created_at').execute();
}
