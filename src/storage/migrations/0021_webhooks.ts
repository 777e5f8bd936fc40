/**
 * Tenant webhooks (issue 23, item 4): the endpoints a tenant registered (their signing secret sealed,
 * core/secrets/sealed-columns.ts) and every event delivery to them, one row per (event, webhook): the
 * record the console and API list. The posting itself is a job of kind 'webhook' on the delivery
 * queue (0019), named by job_ref.
 */
import type { Kysely } from 'kysely';
import { withId } from './columns.js';

export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('webhooks'))
    .addColumn('sid', 'varchar(40)', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('url', 'varchar(2000)', (c) => c.notNull())
    // JSON array of event types; [] = every event.
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('description', 'varchar(200)')
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhooks_tenant').on('webhooks').column('tenant_id').execute();

  await withId(db, db.schema.createTable('webhook_deliveries'))
    // The Standard Webhooks message id (webhook-id): the same on every attempt and resend.
    .addColumn('sid', 'varchar(40)', (c) => c.notNull().unique())
    .addColumn('webhook_id', 'integer', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('tenant_id', 'integer', (c) => c.notNull())
    .addColumn('event_type', 'varchar(64)', (c) => c.notNull())
    // Set for events that must fire once (verification.expired): a second raise of it is a no-op.
    .addColumn('event_key', 'varchar(100)')
    // The exact body posted and signed, so every attempt sends the same bytes.
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    // The ref of the queue job posting it now ("<sid>", then "<sid>:r<time>" after a resend).
    .addColumn('job_ref', 'varchar(64)', (c) => c.notNull())
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'varchar(500)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .execute();
  await db.schema.createIndex('webhook_deliveries_webhook').on('webhook_deliveries').columns(['webhook_id', 'created_at']).execute();
  await db.schema.createIndex('webhook_deliveries_once').on('webhook_deliveries').columns(['webhook_id', 'event_key']).unique().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhooks').execute();
}
