/**
 * sip_tokens.grantor_expires_at: when the credential that gave a token its power expires (the one that
 * attached an auth token to its account, or validated an account creation request token); null:
 * never. What the token is exchanged for expires no later than that (core/credentials/lifetimes.ts);
 * the token's own expires_at only bounds the exchange.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sip_tokens').addColumn('grantor_expires_at', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sip_tokens').dropColumn('grantor_expires_at').execute();
}
