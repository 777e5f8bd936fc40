import type { Db } from '../storage/database.js';
import { type BucketSpec, type BucketStore, type Buckets, type TakeResult, refill } from './buckets.js';

/**
 * Buckets in the token_buckets table. One bucket is one upsert statement; several are taken in one transaction. PostgreSQL: the rows are created
 * if missing, then locked (FOR UPDATE, in key order so that two sends never deadlock), then updated.
 * SQLite: the one connection serialises transactions, so a read-then-write is already atomic.
 */
export function createSqlBuckets({ db, dialect, statements }: BucketStore): Buckets {
  const takeOneStatement = statements.prepare(takeOneSql(dialect));
  const engine: Buckets = {
    async take(buckets) {
      if (buckets.length === 0) return { ok: true };
      if (buckets.length === 1) return takeOne(buckets[0]!);
      const keys = [...new Set(buckets.map((b) => b.key))].sort();
      return db.transaction().execute(async (trx): Promise<TakeResult> => {
        const now = Date.now();
        const found = new Map<string, { tokens: number; updated_at: number }>();
        if (dialect === 'postgres') {
          await trx
            .insertInto('token_buckets')
            .values(keys.map((key) => ({ key, tokens: capacity(buckets, key), updated_at: now, expires_at: now })))
            .onConflict((oc) => oc.column('key').doNothing())
            .execute();
          const rows = await trx.selectFrom('token_buckets').select(['key', 'tokens', 'updated_at']).where('key', 'in', keys).orderBy('key').forUpdate().execute();
          for (const r of rows) found.set(r.key, { tokens: Number(r.tokens), updated_at: Number(r.updated_at) });
        } else {
          const rows = await trx.selectFrom('token_buckets').select(['key', 'tokens', 'updated_at']).where('key', 'in', keys).execute();
          for (const r of rows) found.set(r.key, { tokens: Number(r.tokens), updated_at: Number(r.updated_at) });
        }
        // The same key may appear twice (two limits keyed alike): it must then hold two tokens.
        const after = new Map<string, { tokens: number; spec: BucketSpec }>();
        for (let i = 0; i < buckets.length; i++) {
          const spec = buckets[i]!;
          const prev = after.get(spec.key);
          const row = found.get(spec.key);
          // A row past its expiry is a full bucket (the sweeper may not have removed it yet).
          const tokens = prev ? prev.tokens : row ? refill(row.tokens, now - row.updated_at, spec) : spec.max;
          if (tokens < 1) return { ok: false, index: i };
          after.set(spec.key, { tokens: tokens - 1, spec });
        }
        for (const [key, { tokens, spec }] of after) {
          // Full again once the missing tokens have dripped back in.
          const expires = now + Math.ceil(((spec.max - tokens) * spec.intervalMs) / spec.max);
          await trx
            .insertInto('token_buckets')
            .values({ key, tokens, updated_at: now, expires_at: expires })
            .onConflict((oc) => oc.column('key').doUpdateSet({ tokens, updated_at: now, expires_at: expires }))
            .execute();
        }
        return { ok: true };
      });
    },
  };


  /**
   * One bucket (the default limit, or a limit with one bucket) is one statement: the upsert refills,
   * checks and takes under the row lock that ON CONFLICT DO UPDATE holds, and changes no row when empty.
   */
  async function takeOne(spec: BucketSpec): Promise<TakeResult> {
    const now = Date.now();
    // Empty or not, a bucket is full again one interval after its last take.
    const taken = await takeOneStatement.run(spec.key, spec.max - 1, now, now + spec.intervalMs);
    return taken === 1 ? { ok: true } : { ok: false, index: 0 };
  }

  return engine;
}

/**
 * The inserted row carries everything the refill needs, so each value is bound once: max is
 * excluded.tokens + 1, the interval is excluded.expires_at - excluded.updated_at, and now is
 * excluded.updated_at.
 */
export function takeOneSql(dialect: 'sqlite' | 'postgres'): string {
  const [least, greatest] = dialect === 'postgres' ? ['least', 'greatest'] : ['min', 'max'];
  const refilled = `${least}(excluded.tokens + 1, token_buckets.tokens + ${greatest}(0, excluded.updated_at - token_buckets.updated_at) * (excluded.tokens + 1.0) / (excluded.expires_at - excluded.updated_at))`;
  return `insert into token_buckets (key, tokens, updated_at, expires_at) values (?, ?, ?, ?)
    on conflict (key) do update set tokens = ${refilled} - 1, updated_at = excluded.updated_at, expires_at = excluded.expires_at
    where ${refilled} >= 1`;
}

function capacity(buckets: BucketSpec[], key: string): number {
  return buckets.find((b) => b.key === key)!.max;
}

/**
 * Removes buckets that are full again (a missing row reads as full), a small batch at a time with a
 * turn of the event loop between batches: one delete of 541k rows held the main thread for 455 ms.
 */
export async function sweepBuckets(db: Db, batch = 500): Promise<number> {
  let removed = 0;
  for (;;) {
    const now = Date.now();
    const done = await db
      .deleteFrom('token_buckets')
      .where('key', 'in', (qb) => qb.selectFrom('token_buckets').select('key').where('expires_at', '<=', now).limit(batch))
      .executeTakeFirst();
    const n = Number(done.numDeletedRows);
    removed += n;
    if (n < batch) return removed;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
