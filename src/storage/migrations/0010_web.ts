/** 0010_web: when a trusted device last skipped the code, so its owner can tell a device in use from a forgotten one. */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('trusted_devices').addColumn('last_used_at', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('trusted_devices').dropColumn('last_used_at').execute();
}
