import type { Kysely } from 'kysely';
import { withId } from './columns.js';

/** SIP accounts (the Flexisip face): HA1 per algorithm, tokens, devices, pending changes, dictionary. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sip_accounts')
    .addColumn('account_id', 'integer', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('ha1_md5', 'varchar(300)')
    .addColumn('ha1_sha256', 'varchar(300)')
    .addColumn('dtmf_protocol', 'varchar(16)')
    .addColumn('provisioning_token', 'varchar(300)')
    .addColumn('confirmation_key_hash', 'varchar(64)')
    .addColumn('confirmation_key_expires', 'bigint')
    .addColumn('user_agent', 'varchar(300)')
    .execute();

  await withId(db, db.schema.createTable('sip_tokens'))
    .addColumn('kind', 'varchar(20)', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('domain', 'varchar(253)')
    .addColumn('account_id', 'integer', (c) => c.references('accounts.id').onDelete('cascade'))
    .addColumn('validated_at', 'bigint')
    .addColumn('used_at', 'bigint')
    .addColumn('pn_provider', 'varchar(64)')
    .addColumn('pn_param', 'varchar(300)')
    .addColumn('pn_prid', 'varchar(300)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sip_tokens_prid').on('sip_tokens').columns(['pn_prid', 'kind']).execute();

  await withId(db, db.schema.createTable('sip_devices'))
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('uuid', 'varchar(200)', (c) => c.notNull())
    .addColumn('contact', 'varchar(1000)', (c) => c.notNull())
    .addColumn('user_agent', 'varchar(300)')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('sip_devices_account_uuid', ['account_id', 'uuid'])
    .execute();

  await db.schema
    .createTable('sip_pending_changes')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('kind', 'varchar(10)', (c) => c.notNull())
    .addColumn('value', 'varchar(320)', (c) => c.notNull())
    .addColumn('code_hash', 'varchar(64)')
    .addColumn('request_id', 'varchar(64)')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sip_pending_changes_pk', ['account_id', 'kind'])
    .execute();

  await db.schema
    .createTable('sip_dictionary')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('key', 'varchar(191)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sip_dictionary_pk', ['account_id', 'key'])
    .execute();

  await db.schema
    .createTable('sip_secrets')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .execute();

  // Flexisip names an account sip:username@domain: the lookup every Digest request makes.
  await db.schema.createIndex('accounts_domain_username').on('accounts').columns(['domain', 'username']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('accounts_domain_username').execute();
  for (const table of ['sip_secrets', 'sip_dictionary', 'sip_pending_changes', 'sip_devices', 'sip_tokens', 'sip_accounts']) {
    await db.schema.dropTable(table).execute();
  }
}
