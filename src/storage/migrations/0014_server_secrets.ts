/**
 * Server keys every node shares, sealed like sip_secrets, each created on first use by whichever node
 * needs it first (core/secrets/server-keys.ts): the device cookies' key and the CSRF key (issue 22).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('server_secrets')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('server_secrets').execute();
}
