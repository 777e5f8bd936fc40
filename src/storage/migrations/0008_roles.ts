import type { Kysely } from 'kysely';

/** When an account's password changes or its 2FA is reset, the JWTs issued before then stop working. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('credentials_valid_after', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('credentials_valid_after').execute();
}
