import type { Statements } from '../storage/statements.js';
import type { SharedState } from './shared-state.js';

/**
 * Shared state in the SQL database. Each operation is one upsert statement, atomic on its own in
 * both SQLite and PostgreSQL, so concurrent callers never both win a claim. The claim is on hot
 * paths (a TOTP step's replay guard without Redis), so the statements are prepared once
 * (storage/statements.ts); the same text serves both dialects.
 */
export function createSqlState(statements: Statements): SharedState {
  // The inserted row carries the new expiry, so the conflict branch reads it as excluded.expires_at.
  const claim = statements.prepare<{ key: string }>(
    `insert into shared_state (key, value, expires_at) values (?, 1, ?)
     on conflict (key) do update set value = 1, expires_at = excluded.expires_at where shared_state.expires_at <= ?
     returning key`,
  );
  const increment = statements.prepare<{ value: number | string }>(
    `insert into shared_state (key, value, expires_at) values (?, 1, ?)
     on conflict (key) do update set
       value = case when shared_state.expires_at <= ? then 1 else shared_state.value + 1 end,
       expires_at = case when shared_state.expires_at <= ? then excluded.expires_at else shared_state.expires_at end
     returning value`,
  );
  const count = statements.prepare<{ value: number | string }>('select value from shared_state where key = ? and expires_at > ?');
  const release = statements.prepare('delete from shared_state where key = ?');
  const sweep = statements.prepare('delete from shared_state where expires_at <= ?');
  return {
    backend: 'sql',
    async claim(key, ttlMs) {
      const now = Date.now();
      return (await claim.get(key, now + ttlMs, now)) !== undefined;
    },
    async increment(key, ttlMs) {
      const now = Date.now();
      return Number((await increment.get(key, now + ttlMs, now, now))!.value);
    },
    async count(key) {
      return Number((await count.get(key, Date.now()))?.value ?? 0);
    },
    async release(key) {
      await release.run(key);
    },
    async sweep() {
      await sweep.run(Date.now());
    },
    async ping() {},
    async close() {},
  };
}
