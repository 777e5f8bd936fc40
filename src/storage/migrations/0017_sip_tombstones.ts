/**
 * sip_tombstones: the usernames of deleted SIP accounts, per domain. Upstream's rule: a deleted
 * username is never registered again in its domain (a new owner would receive calls, messages and
 * contacts meant for the old one).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sip_tombstones')
    .addColumn('domain', 'varchar(253)', (c) => c.notNull())
    .addColumn('username', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sip_tombstones_pk', ['domain', 'username'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sip_tombstones').execute();
}
