/** 0016_csrf_secrets: the key the pages' CSRF tokens are derived with (issue 22), sealed, shared by every node. */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('csrf_secrets')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('csrf_secrets').execute();
}
