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
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('delivery_reports_created').execute();
  await db.schema.alterTable('smart2fa_settings').dropColumn('default_fallback').execute();
}
