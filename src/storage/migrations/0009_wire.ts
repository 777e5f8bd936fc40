import type { Kysely } from 'kysely';

/** A tenant's contact email (Smart 2FA's accountEmail), and when an account first completed a login (Comm100's isFirstLogin). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tenants').addColumn('email', 'varchar(254)').execute();
  await db.schema.alterTable('accounts').addColumn('first_login_at', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('first_login_at').execute();
  await db.schema.alterTable('tenants').dropColumn('email').execute();
}
