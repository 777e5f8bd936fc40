/**
 * What an operator needs to find and judge a credential without its secret (issue 25): the first
 * characters of the secret (its prefix, enough to recognise a leaked key: the rest stays a hash), who
 * created it ('account:<id>', 'tenant:<id>' or 'operator' for the CLI; null: before this migration),
 * and when it was last used (written at most once a minute per credential, off the request path:
 * core/credentials/last-used.ts). Auth tokens never expire; API keys already had expires_at.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['api_keys', 'auth_tokens']) {
    await db.schema.alterTable(table).addColumn('prefix', 'varchar(16)').execute();
    await db.schema.alterTable(table).addColumn('created_by', 'varchar(64)').execute();
    await db.schema.alterTable(table).addColumn('last_used_at', 'bigint').execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['api_keys', 'auth_tokens']) {
    for (const column of ['prefix', 'created_by', 'last_used_at']) await db.schema.alterTable(table).dropColumn(column).execute();
  }
}
