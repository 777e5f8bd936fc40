import type { Kysely } from 'kysely';
import { withId } from './columns.js';

/**
 * What a SIP account knows about others (the Flexisip face, part 2): contacts, contacts lists and
 * their attachment to accounts, DTMF actions, account types, and the statistics the SIP server
 * reports about messages and calls.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sip_contacts')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('contact_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sip_contacts_pk', ['account_id', 'contact_id'])
    .execute();

  await withId(db, db.schema.createTable('sip_contacts_lists'))
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('title', 'varchar(255)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sip_contacts_lists_tenant').on('sip_contacts_lists').column('tenant_id').execute();

  await db.schema
    .createTable('sip_contacts_list_contacts')
    .addColumn('contacts_list_id', 'integer', (c) => c.notNull().references('sip_contacts_lists.id').onDelete('cascade'))
    .addColumn('contact_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('sip_contacts_list_contacts_pk', ['contacts_list_id', 'contact_id'])
    .execute();

  await db.schema
    .createTable('sip_account_contacts_lists')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('contacts_list_id', 'integer', (c) => c.notNull().references('sip_contacts_lists.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('sip_account_contacts_lists_pk', ['account_id', 'contacts_list_id'])
    .execute();

  await withId(db, db.schema.createTable('sip_account_actions'))
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('key', 'varchar(64)', (c) => c.notNull())
    .addColumn('code', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sip_account_actions_account').on('sip_account_actions').column('account_id').execute();

  await withId(db, db.schema.createTable('sip_account_types'))
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('key', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('sip_account_types_tenant_key', ['tenant_id', 'key'])
    .execute();

  await db.schema
    .createTable('sip_account_account_types')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('account_type_id', 'integer', (c) => c.notNull().references('sip_account_types.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('sip_account_account_types_pk', ['account_id', 'account_type_id'])
    .execute();

  // Ids come from the SIP server and are unique across the deployment, as in the upstream project.
  await db.schema
    .createTable('sip_statistics_messages')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('from_username', 'varchar(256)', (c) => c.notNull())
    .addColumn('from_domain', 'varchar(256)', (c) => c.notNull())
    .addColumn('from_account_id', 'integer', (c) => c.references('accounts.id').onDelete('cascade'))
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .addColumn('encrypted', 'integer', (c) => c.notNull())
    .addColumn('conference_id', 'varchar(256)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sip_statistics_messages_day').on('sip_statistics_messages').columns(['tenant_id', 'sent_at']).execute();

  await db.schema
    .createTable('sip_statistics_message_devices')
    .addColumn('message_id', 'varchar(64)', (c) => c.notNull().references('sip_statistics_messages.id').onDelete('cascade'))
    .addColumn('to_username', 'varchar(256)', (c) => c.notNull())
    .addColumn('to_domain', 'varchar(256)', (c) => c.notNull())
    .addColumn('device_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('last_status', 'integer', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sip_statistics_message_devices_pk', ['message_id', 'to_username', 'to_domain', 'device_id'])
    .execute();

  await db.schema
    .createTable('sip_statistics_calls')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('from_username', 'varchar(256)', (c) => c.notNull())
    .addColumn('from_domain', 'varchar(256)', (c) => c.notNull())
    .addColumn('from_account_id', 'integer', (c) => c.references('accounts.id').onDelete('cascade'))
    .addColumn('to_username', 'varchar(256)', (c) => c.notNull())
    .addColumn('to_domain', 'varchar(256)', (c) => c.notNull())
    .addColumn('initiated_at', 'bigint', (c) => c.notNull())
    .addColumn('ended_at', 'bigint')
    .addColumn('conference_id', 'varchar(256)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sip_statistics_calls_day').on('sip_statistics_calls').columns(['tenant_id', 'initiated_at']).execute();

  await db.schema
    .createTable('sip_statistics_call_devices')
    .addColumn('call_id', 'varchar(64)', (c) => c.notNull().references('sip_statistics_calls.id').onDelete('cascade'))
    .addColumn('device_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('rang_at', 'bigint')
    .addColumn('invite_terminated_at', 'bigint')
    .addColumn('invite_terminated_state', 'varchar(64)')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sip_statistics_call_devices_pk', ['call_id', 'device_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'sip_statistics_call_devices', 'sip_statistics_calls', 'sip_statistics_message_devices', 'sip_statistics_messages',
    'sip_account_account_types', 'sip_account_types', 'sip_account_actions', 'sip_account_contacts_lists',
    'sip_contacts_list_contacts', 'sip_contacts_lists', 'sip_contacts',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
