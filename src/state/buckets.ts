/**
 * Token buckets checked and taken together: one token from every bucket, or none from any.
 * Each bucket refills continuously at max/interval per millisecond up to max, so "max per interval"
 * holds over any window. Kept in Redis (one Lua script) when REDIS_URL is set, else in SQL.
 */
import type { Db } from '../storage/database.js';
import type { Statements } from '../storage/statements.js';
import { createRedisBuckets } from './buckets-redis.js';
import { createSqlBuckets } from './buckets-sql.js';
import type { RedisState } from './redis-state.js';
import type { SharedState } from './shared-state.js';

export interface BucketSpec {
  key: string;
  max: number;
  intervalMs: number;
}

/** ok, or the position (in the order given) of the first bucket that had no token; nothing was taken. */
export type TakeResult = { ok: true } | { ok: false; index: number };

export interface Buckets {
  take(buckets: BucketSpec[]): Promise<TakeResult>;
}

/** The tokens a bucket holds `elapsedMs` after it held `tokens`. */
export function refill(tokens: number, elapsedMs: number, spec: BucketSpec): number {
  return Math.min(spec.max, tokens + (Math.max(0, elapsedMs) * spec.max) / spec.intervalMs);
}

export interface BucketStore {
  db: Db;
  dialect: 'sqlite' | 'postgres';
  statements: Statements;
}

export function createBuckets(state: SharedState, store: BucketStore): Buckets {
  return state.backend === 'redis' ? createRedisBuckets(state as RedisState) : createSqlBuckets(store);
}
