import type { Kysely } from 'kysely';
import { withId } from './columns.js';

export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('tenants'))
    .addColumn('sid', 'varchar(34)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('parent_id', 'integer', (c) => c.references('tenants.id'))
    .addColumn('path', 'varchar(1000)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tenants_parent').on('tenants').column('parent_id').execute();

  await withId(db, db.schema.createTable('auth_tokens'))
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await withId(db, db.schema.createTable('sip_domains'))
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('domain', 'varchar(253)', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await withId(db, db.schema.createTable('accounts'))
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('username', 'varchar(64)')
    .addColumn('domain', 'varchar(253)')
    .addColumn('email', 'varchar(254)')
    .addColumn('phone', 'varchar(32)')
    .addColumn('display_name', 'varchar(200)')
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    .addColumn('activated', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('blocked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('password_hash', 'varchar(200)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('accounts_tenant_email', ['tenant_id', 'email'])
    .addUniqueConstraint('accounts_tenant_username', ['tenant_id', 'username'])
    .execute();

  await withId(db, db.schema.createTable('api_keys'))
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('key_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(200)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .execute();

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('alg', 'varchar(16)', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('shared_state')
    .addColumn('key', 'varchar(512)', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('shared_state_expires').on('shared_state').column('expires_at').execute();

  await db.schema
    .createTable('meta')
    .addColumn('key', 'varchar(100)', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await withId(db, db.schema.createTable('outbox_messages'))
    .addColumn('tenant_id', 'integer', (c) => c.references('tenants.id').onDelete('set null'))
    .addColumn('channel', 'varchar(16)', (c) => c.notNull())
    .addColumn('to', 'varchar(320)', (c) => c.notNull())
    .addColumn('from', 'varchar(320)')
    .addColumn('subject', 'varchar(1000)')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbox_messages_to').on('outbox_messages').columns(['to', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['outbox_messages', 'meta', 'shared_state', 'signing_keys', 'api_keys', 'accounts', 'sip_domains', 'auth_tokens', 'tenants']) {
    await db.schema.dropTable(table).execute();
  }
}
