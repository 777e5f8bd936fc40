import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Buckets, createBuckets } from '../../src/state/buckets.js';
import { createRedisState } from '../../src/state/redis-state.js';
import { createSqlState } from '../../src/state/sql-state.js';
import { type Storage, migrate, openStorage } from '../../src/storage/storage.js';
import { REDIS_URL, type TestDatabase, createTestDatabase, redisPrefix, skipUnless } from '../helpers/services.js';

const backends = [
  { name: 'SQLite', needs: {} },
  { name: 'PostgreSQL', needs: { postgres: true } },
  { name: 'Redis', needs: { redis: true } },
] as const;

for (const backend of backends) {
  describe(`token buckets on ${backend.name}`, { skip: await skipUnless(backend.needs) }, () => {
    let database: TestDatabase;
    let storage: Storage;
    let buckets: Buckets;
    let close = async () => {};
    before(async () => {
      database = await createTestDatabase(backend.name === 'PostgreSQL' ? 'postgres' : 'sqlite');
      storage = openStorage(database.url.startsWith('sqlite:') ? { dialect: 'sqlite', file: database.url.slice('sqlite:'.length) } : { dialect: 'postgres', url: database.url });
      await migrate(storage.db);
      if (backend.name === 'Redis') {
        const state = await createRedisState(REDIS_URL, redisPrefix());
        close = () => state.close();
        buckets = createBuckets(state, storage);
      } else {
        buckets = createBuckets(createSqlState(storage.statements), storage);
      }
    });
    after(async () => {
      await close();
      await storage.close();
      await database.drop();
    });
    const key = () => `k${Math.random().toString(36).slice(2)}`;

    test('a bucket of max 2 gives 2 tokens, then refuses', async () => {
      const b = { key: key(), max: 2, intervalMs: 60_000 };
      assert.deepEqual(await buckets.take([b]), { ok: true });
      assert.deepEqual(await buckets.take([b]), { ok: true });
      assert.deepEqual(await buckets.take([b]), { ok: false, index: 0 });
    });

    test('a refusal names the first empty bucket and takes nothing from the others', async () => {
      const roomy = { key: key(), max: 2, intervalMs: 60_000 };
      const tight = { key: key(), max: 1, intervalMs: 60_000 };
      assert.deepEqual(await buckets.take([tight]), { ok: true });
      assert.deepEqual(await buckets.take([roomy, tight]), { ok: false, index: 1 });
      assert.deepEqual(await buckets.take([roomy, tight]), { ok: false, index: 1 });
      // roomy still holds both tokens
      assert.deepEqual(await buckets.take([roomy]), { ok: true });
      assert.deepEqual(await buckets.take([roomy]), { ok: true });
      assert.deepEqual(await buckets.take([roomy]), { ok: false, index: 0 });
    });

    test('tokens drip back at max/interval', async () => {
      const b = { key: key(), max: 1, intervalMs: 300 };
      assert.deepEqual(await buckets.take([b]), { ok: true });
      assert.deepEqual(await buckets.take([b]), { ok: false, index: 0 });
      await new Promise((r) => setTimeout(r, 350));
      assert.deepEqual(await buckets.take([b]), { ok: true });
    });

    test('200 concurrent takes from one bucket of max 3 succeed exactly three times', async () => {
      const b = { key: key(), max: 3, intervalMs: 60_000 };
      const results = await Promise.all(Array.from({ length: 200 }, () => buckets.take([b])));
      assert.equal(results.filter((r) => r.ok).length, 3);
    });

    test('200 concurrent takes over two buckets, one of max 1, succeed exactly once', async () => {
      const b = { key: key(), max: 1, intervalMs: 60_000 };
      const other = { key: key(), max: 1000, intervalMs: 60_000 };
      const results = await Promise.all(Array.from({ length: 200 }, () => buckets.take([other, b])));
      assert.equal(results.filter((r) => r.ok).length, 1);
    });
  });
}
