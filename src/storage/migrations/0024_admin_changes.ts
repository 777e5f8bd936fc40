/**
 * The admin audit trail (core/changes): one row per change asked of the management surfaces (admin
 * API, console, CLI, each face's management endpoints), done or refused. No foreign keys: a record
 * outlives the tenant, account or object it names (deleting a tenant must not erase who deleted it).
 * The indexes follow the reader's filters, each ending in id for the newest-first paging.
 */
import { type Kysely, sql } from 'kysely';
import { isPostgres, withId } from './columns.js';

export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('admin_changes'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('actor_tenant_id', 'integer')
    .addColumn('actor_tenant_path', 'varchar(1000)')
    .addColumn('actor_account_id', 'integer')
    .addColumn('actor_role', 'varchar(20)', (c) => c.notNull())
    .addColumn('actor_via', 'varchar(12)', (c) => c.notNull())
    .addColumn('surface', 'varchar(12)', (c) => c.notNull())
    .addColumn('action', 'varchar(200)', (c) => c.notNull())
    .addColumn('object_type', 'varchar(60)')
    .addColumn('object_id', 'varchar(200)')
    .addColumn('outcome', 'varchar(10)', (c) => c.notNull())
    .addColumn('error_code', 'varchar(60)')
    .addColumn('status', 'integer')
    .addColumn('client_address', 'varchar(64)')
    .addColumn('request_id', 'varchar(64)')
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('admin_changes_at').on('admin_changes').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('admin_changes_actor').on('admin_changes').columns(['actor_account_id', 'id']).execute();
  await db.schema.createIndex('admin_changes_action').on('admin_changes').columns(['action', 'id']).execute();
  await db.schema.createIndex('admin_changes_object').on('admin_changes').columns(['object_type', 'object_id', 'id']).execute();
  await db.schema.createIndex('admin_changes_outcome').on('admin_changes').columns(['outcome', 'id']).execute();
  // The reach filter is a prefix of the path (like '/AC…/%'): PostgreSQL uses a btree for it only
  // with the pattern operator class (the database's collation is not C); SQLite's LIKE is case-blind
  // and never uses an index, so there the (path, id) index serves the equality a tenant's own rows are.
  if (isPostgres(db)) await sql`create index admin_changes_tenant on admin_changes (actor_tenant_path varchar_pattern_ops, id)`.execute(db);
  else await db.schema.createIndex('admin_changes_tenant').on('admin_changes').columns(['actor_tenant_path', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('admin_changes').execute();
}
