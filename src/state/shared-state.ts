/**
 * State that every node must see the same: replay guards, nonces, counters. Kept in Redis when
 * REDIS_URL is set, else in the SQL database (table shared_state) — never only in memory, so that
 * many processes on one PostgreSQL behave as one even without Redis.
 */
export interface SharedState {
  readonly backend: 'redis' | 'sql';
  /** True the first time `key` is claimed; false while an earlier claim is alive (ttlMs). */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Adds 1 and answers the new count; the count starts again at 1 once ttlMs after its first hit has passed. */
  increment(key: string, ttlMs: number): Promise<number>;
  /** The count `increment` left under `key`, without changing it; 0 when there is none or it expired. */
  count(key: string): Promise<number>;
  /** Forgets a key (a claim or a count). */
  release(key: string): Promise<void>;
  /** Drops expired entries; a no-op where the backend expires keys itself. */
  sweep(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
