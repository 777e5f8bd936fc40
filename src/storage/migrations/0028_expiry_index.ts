/**
 * The index of live codes by expiry (0025) stated a predicate, `status = 'pending'`, that a send's and
 * a verify's own statements state too, so PostgreSQL could pick it for them. After an analyze that saw
 * no live code (a quiet hour, a bulk load) it looked empty, and the planner then preferred it to the
 * recipient and request-id indexes: each send and each verify read every live code (166 ms with 42,000
 * of them on a 5-million-row table; bench/growth.ts measured verify at 7% of its empty-database rate).
 *
 * Its predicate now has a term no request's statement writes (`attempts >= 0`, true of every row), so
 * only the statements that ask for it by that predicate (core/verifications/tables.ts, expiring()) can
 * use it, whatever the statistics say. SQLite's planner did not make the mistake; the index is the
 * same on both, so that the one predicate serves both.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('verifications_pending_expiry').execute();
  await sql`create index verifications_pending_expiry on verifications (expires_at) where status = 'pending' and attempts >= 0`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('verifications_pending_expiry').execute();
  await sql`create index verifications_pending_expiry on verifications (expires_at) where status = 'pending'`.execute(db);
}
