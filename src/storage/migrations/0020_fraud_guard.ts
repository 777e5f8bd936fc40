/**
 * The SMS-pumping guard (issue 23): per-prefix conversion counts when shared state is in SQL, the
 * record of every block (and its lifting), and each tenant's safe list of numbers.
 */
import type { Kysely } from 'kysely';
import { withId } from './columns.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('fraud_prefix_counts')
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('prefix', 'varchar(16)', (c) => c.notNull())
    .addColumn('slot', 'bigint', (c) => c.notNull())
    .addColumn('sent', 'integer', (c) => c.notNull())
    .addColumn('verified', 'integer', (c) => c.notNull())
    .addColumn('prev_sent', 'integer', (c) => c.notNull())
    .addColumn('prev_verified', 'integer', (c) => c.notNull())
    .addColumn('blocked_until', 'bigint', (c) => c.notNull())
    .addColumn('last_outcome', 'varchar(1)', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('fraud_prefix_counts_pk', ['tenant_id', 'prefix'])
    .execute();
  await db.schema.createIndex('fraud_prefix_counts_updated').on('fraud_prefix_counts').column('updated_at').execute();

  await withId(db, db.schema.createTable('fraud_blocks'))
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('prefix', 'varchar(16)', (c) => c.notNull())
    .addColumn('blocked_at', 'bigint', (c) => c.notNull())
    .addColumn('blocked_until', 'bigint', (c) => c.notNull())
    .addColumn('sent', 'integer', (c) => c.notNull())
    .addColumn('verified', 'integer', (c) => c.notNull())
    .addColumn('lifted_at', 'bigint')
    .addColumn('lifted_by', 'varchar(200)')
    .execute();
  await db.schema.createIndex('fraud_blocks_tenant').on('fraud_blocks').columns(['tenant_id', 'blocked_until']).execute();

  await db.schema
    .createTable('fraud_safe_numbers')
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('number', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('fraud_safe_numbers_pk', ['tenant_id', 'number'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['fraud_safe_numbers', 'fraud_blocks', 'fraud_prefix_counts']) await db.schema.dropTable(table).execute();
}
