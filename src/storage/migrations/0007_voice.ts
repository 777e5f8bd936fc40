import type { Kysely } from 'kysely';
import { withId } from './columns.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('voice_twilio_accounts')
    .addColumn('tenant_id', 'integer', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('account_sid', 'varchar(34)', (c) => c.notNull().unique())
    .addColumn('auth_token', 'text', (c) => c.notNull())
    .addColumn('api_key_sid', 'varchar(34)')
    .addColumn('api_key_secret', 'text')
    .addColumn('twiml_app_sid', 'varchar(34)')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('voice_number_assignments')
    .addColumn('phone_number', 'varchar(16)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await withId(db, db.schema.createTable('phone_lines'))
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('phone_number', 'varchar(16)', (c) => c.notNull().unique())
    .addColumn('greeting', 'text', (c) => c.notNull())
    .addColumn('ring_timeout', 'integer', (c) => c.notNull())
    .addColumn('fallback', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('phone_lines_tenant').on('phone_lines').column('tenant_id').execute();

  await db.schema
    .createTable('phone_line_agents')
    .addColumn('line_id', 'integer', (c) => c.notNull().references('phone_lines.id').onDelete('cascade'))
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('phone_line_agents_pk', ['line_id', 'account_id'])
    .execute();
  await db.schema.createIndex('phone_line_agents_account').on('phone_line_agents').column('account_id').execute();

  await withId(db, db.schema.createTable('call_records'))
    .addColumn('call_sid', 'varchar(34)', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('direction', 'varchar(8)', (c) => c.notNull())
    .addColumn('from', 'varchar(140)', (c) => c.notNull())
    .addColumn('to', 'varchar(140)', (c) => c.notNull())
    .addColumn('line_id', 'integer')
    .addColumn('line_name', 'varchar(100)')
    .addColumn('agent_id', 'integer')
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('status_rank', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('answered_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .addColumn('duration', 'integer')
    .addColumn('price', 'varchar(20)')
    .addColumn('price_unit', 'varchar(8)')
    .addColumn('error_code', 'varchar(10)')
    .addColumn('error_url', 'varchar(500)')
    .addColumn('recording_url', 'varchar(500)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('call_records_tenant_started').on('call_records').columns(['tenant_id', 'started_at']).execute();

  await withId(db, db.schema.createTable('call_events'))
    .addColumn('call_sid', 'varchar(34)', (c) => c.notNull())
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('call_events_call_status', ['call_sid', 'status'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['call_events', 'call_records', 'phone_line_agents', 'phone_lines', 'voice_number_assignments', 'voice_twilio_accounts']) {
    await db.schema.dropTable(table).execute();
  }
}
