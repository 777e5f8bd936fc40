/**
 * A cache for what a hot path reads of configuration on every request (the phone line a number
 * rings, a Twilio account's auth token, a SIP account), which changes a few times a day.
 *
 * An entry is good while two things hold: no write was made through Kysely on this process since it
 * was read (storage/changes.ts), so a change made here is seen by the very next request; and it is
 * younger than FRESH_MS, which bounds how long a change made by another process goes unseen (every
 * node shares the database, none tells the others). Errors and misses are never kept: a row that
 * appears is seen at once, and a refused credential costs the attacker a lookup every time.
 */
import type { Changes } from '../storage/changes.js';

/** How long another node's change may go unseen here (revocations are effective within 1 s). */
export const FRESH_MS = 500;

const MAX_ENTRIES = 10_000;

interface Entry<V> {
  value: V;
  version: number;
  at: number;
}

export interface FreshCache<K, V> {
  /** The value for key, read with `load` unless a fresh one is kept. */
  read(key: K, load: () => Promise<V | undefined>): Promise<V | undefined>;
  /** The value for key when a fresh one is kept, without waiting: undefined when it would be read. */
  peek(key: K): V | undefined;
}

export function freshCache<K, V>(changes: Changes, clock: () => number = Date.now): FreshCache<K, V> {
  const entries = new Map<K, Entry<V>>();
  const fresh = (entry: Entry<V> | undefined, t: number): entry is Entry<V> => entry !== undefined && entry.version === changes.version && t - entry.at < FRESH_MS;
  return {
    peek(key) {
      const entry = entries.get(key);
      return fresh(entry, clock()) ? entry.value : undefined;
    },
    async read(key, load) {
      const entry = entries.get(key);
      const t = clock();
      if (fresh(entry, t)) return entry.value;
      // Stamped before the read: a change committed while it runs leaves the entry stale at once.
      const version = changes.version;
      const value = await load();
      if (value === undefined) {
        entries.delete(key);
        return undefined;
      }
      if (entries.size >= MAX_ENTRIES) entries.clear();
      entries.set(key, { value, version, at: t });
      return value;
    },
  };
}
