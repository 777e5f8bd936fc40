import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createRedisState } from '../../src/state/redis-state.js';
import type { SharedState } from '../../src/state/shared-state.js';
import { createSqlState } from '../../src/state/sql-state.js';
import { type Storage, migrate, openStorage } from '../../src/storage/storage.js';
import { REDIS_URL, type TestDatabase, createTestDatabase, redisPrefix, skipDialect, skipUnless } from '../helpers/services.js';

const backends: Array<{ name: string; skip: () => Promise<string | false>; open: () => Promise<{ state: SharedState; close: () => Promise<void> }> }> = [
  ...(['sqlite', 'postgres'] as const).map((dialect) => ({
    name: `SQL on ${dialect}`,
    skip: () => skipDialect(dialect),
    async open() {
      const database: TestDatabase = await createTestDatabase(dialect);
      const storage: Storage = openStorage(loadConfig({ DATABASE_URL: database.url, GATEHOUSE_DATA_DIR: database.dataDir }).database);
      await migrate(storage.db);
      return { state: createSqlState(storage.statements), close: async () => (await storage.close(), await database.drop()) };
    },
  })),
  {
    name: 'Redis',
    skip: () => skipUnless({ redis: true }),
    async open() {
      const state = await createRedisState(REDIS_URL, redisPrefix());
      return { state, close: () => state.close() };
    },
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of backends) {
  describe(`shared state in ${backend.name}`, { skip: await backend.skip() }, () => {
    let state: SharedState;
    let close: () => Promise<void>;
    before(async () => ({ state, close } = await backend.open()));
    after(() => close());

    test('a key is claimed once while its claim lives, and again after it expires', async () => {
      assert.equal(await state.claim('claim:a', 300), true);
      assert.equal(await state.claim('claim:a', 300), false);
      assert.equal(await state.claim('claim:b', 300), true, 'another key is independent');
      await sleep(350);
      assert.equal(await state.claim('claim:a', 300), true);
    });

    test('of 200 simultaneous claims of one key exactly one wins', async () => {
      const wins = await Promise.all(Array.from({ length: 200 }, () => state.claim('claim:race', 10_000)));
      assert.equal(wins.filter(Boolean).length, 1);
    });

    test('a counter counts within its window and starts again after it', async () => {
      assert.equal(await state.increment('count:a', 300), 1);
      assert.equal(await state.increment('count:a', 300), 2);
      assert.equal(await state.increment('count:a', 300), 3);
      await sleep(350);
      assert.equal(await state.increment('count:a', 300), 1);
    });

    test('count reads a counter without changing it, and reads 0 for none or an expired one', async () => {
      assert.equal(await state.count('count:c'), 0);
      await state.increment('count:c', 300);
      await state.increment('count:c', 300);
      assert.equal(await state.count('count:c'), 2);
      assert.equal(await state.count('count:c'), 2);
      await sleep(350);
      assert.equal(await state.count('count:c'), 0);
    });

    test('200 simultaneous increments count to exactly 200', async () => {
      const values = await Promise.all(Array.from({ length: 200 }, () => state.increment('count:race', 10_000)));
      assert.deepEqual([...values].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
    });

    test('release forgets a claim and a count', async () => {
      await state.claim('claim:r', 10_000);
      await state.release('claim:r');
      assert.equal(await state.claim('claim:r', 10_000), true);
      await state.increment('count:r', 10_000);
      await state.release('count:r');
      assert.equal(await state.increment('count:r', 10_000), 1);
    });

    test('sweep keeps live entries', async () => {
      await state.claim('claim:live', 10_000);
      await state.sweep();
      assert.equal(await state.claim('claim:live', 10_000), false);
    });
  });
}
