/**
 * The login flow's own server secrets, sealed like sip_secrets: the key that signs device cookies
 * (core/login/device-cookies.ts), created by whichever node needs it first.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('login_secrets')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_secrets').execute();
}
