import { sql } from 'kysely';
import type { Db } from '../storage/database.js';
import type { SharedState } from './shared-state.js';

/**
 * Shared state in the SQL database. Each operation is one upsert statement, atomic on its own in
 * both SQLite and PostgreSQL, so concurrent callers never both win a claim.
 */
export function createSqlState(db: Db): SharedState {
  return {
    backend: 'sql',
    async claim(key, ttlMs) {
      const now = Date.now();
      const row = await db
        .insertInto('shared_state')
        .values({ key, value: 1, expires_at: now + ttlMs })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({ value: 1, expires_at: now + ttlMs }).where('shared_state.expires_at', '<=', now),
        )
        .returning('key')
        .executeTakeFirst();
      return row !== undefined;
    },
    async increment(key, ttlMs) {
      const now = Date.now();
      const row = await db
        .insertInto('shared_state')
        .values({ key, value: 1, expires_at: now + ttlMs })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            value: sql`case when shared_state.expires_at <= ${now} then 1 else shared_state.value + 1 end`,
            expires_at: sql`case when shared_state.expires_at <= ${now} then ${now + ttlMs} else shared_state.expires_at end`,
          }),
        )
        .returning('value')
        .executeTakeFirstOrThrow();
      return Number(row.value);
    },
    async release(key) {
      await db.deleteFrom('shared_state').where('key', '=', key).execute();
    },
    async sweep() {
      await db.deleteFrom('shared_state').where('expires_at', '<=', Date.now()).execute();
    },
    async ping() {},
    async close() {},
  };
}
