import type { Kysely } from 'kysely';
import { isPostgres, withId } from './columns.js';

export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('verifications'))
    .addColumn('request_id', 'varchar(35)', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('service', 'varchar(200)', (c) => c.notNull())
    .addColumn('channel', 'varchar(8)', (c) => c.notNull())
    .addColumn('to', 'varchar(320)', (c) => c.notNull())
    .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('delivery_status', 'varchar(16)', (c) => c.notNull())
    .addColumn('provider', 'varchar(16)')
    .addColumn('provider_id', 'varchar(200)')
    .addColumn('delivery_error', 'varchar(500)')
    .execute();
  await db.schema.createIndex('verifications_recipient').on('verifications').columns(['tenant_id', 'service', 'to', 'status']).execute();
  await db.schema.createIndex('verifications_tenant_created').on('verifications').columns(['tenant_id', 'created_at']).execute();
  await db.schema.createIndex('verifications_provider_id').on('verifications').column('provider_id').execute();

  await withId(db, db.schema.createTable('verification_events'))
    .addColumn('request_id', 'varchar(35)', (c) => c.notNull())
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('detail', 'varchar(500)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('verification_events_request').on('verification_events').column('request_id').execute();

  await withId(db, db.schema.createTable('limits'))
    .addColumn('sid', 'varchar(34)', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('created_by', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('buckets', 'text', (c) => c.notNull())
    .addColumn('description', 'varchar(1000)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('limits_tenant_name', ['tenant_id', 'name'])
    .execute();

  await db.schema
    .createTable('token_buckets')
    .addColumn('key', 'varchar(512)', (c) => c.primaryKey())
    .addColumn('tokens', isPostgres(db) ? 'double precision' : 'real', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('token_buckets_expires').on('token_buckets').column('expires_at').execute();

  await db.schema
    .createTable('smart2fa_settings')
    .addColumn('tenant_id', 'integer', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('allowed_calling_codes', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('smart2fa_secrets')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['smart2fa_secrets', 'smart2fa_settings', 'token_buckets', 'limits', 'verification_events', 'verifications']) {
    await db.schema.dropTable(table).execute();
  }
}
