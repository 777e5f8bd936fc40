/**
 * "Last used" batching (core/credentials/last-used.ts): a use costs no write when it happens; the
 * writes come later, together, at most one per credential a minute, and in a deployment with Redis at
 * most one per minute for all nodes. The statements and shared state are stand-ins that count calls:
 * what is proven is how many writes are made, and when (the SQL itself runs in
 * test/faces/admin/credential-inventory.test.ts on both dialects).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAST_USED_EVERY_MS, createLastUsed } from '../../../src/core/credentials/last-used.js';
import type { SharedState } from '../../../src/state/shared-state.js';
import type { Param, Statements } from '../../../src/storage/statements.js';

function counting() {
  const writes: Array<{ sql: string; params: Param[] }> = [];
  const statements = {
    prepare: (sql: string) => ({
      get: async () => undefined,
      all: async () => [],
      run: async (...params: Param[]) => (writes.push({ sql, params }), 1),
    }),
    durable: () => null,
    flush: () => {},
  } as unknown as Statements;
  return { writes, statements };
}

const state = (backend: 'sql' | 'redis', claims = new Set<string>()) =>
  ({ backend, claim: async (key: string) => (claims.has(key) ? false : (claims.add(key), true)) }) as unknown as SharedState;

describe('last used', () => {
  it('a use writes nothing at once; the uses of a moment are written together, one per credential', async () => {
    const { writes, statements } = counting();
    const lastUsed = createLastUsed(statements, state('sql'));
    const t = 1_800_000_000_000;
    for (let i = 0; i < 1000; i++) lastUsed.note('api_key', 7, t + i);
    lastUsed.note('api_key', 8, t);
    lastUsed.note('auth_token', 7, t);
    assert.equal(writes.length, 0, 'nothing on the request path');
    await lastUsed.flush();
    assert.equal(writes.length, 3);
    assert.deepEqual(writes[0], { sql: 'update api_keys set last_used_at = ? where id = ? and (last_used_at is null or last_used_at < ?)', params: [t, 7, t] });
    assert.match(writes[2]!.sql, /^update auth_tokens /);
    await lastUsed.stop();
  });

  it('at most once a minute per credential', async () => {
    const { writes, statements } = counting();
    const lastUsed = createLastUsed(statements, state('sql'));
    const t = 1_800_000_000_000;
    lastUsed.note('api_key', 1, t);
    await lastUsed.flush();
    lastUsed.note('api_key', 1, t + LAST_USED_EVERY_MS - 1);
    await lastUsed.flush();
    assert.equal(writes.length, 1, 'within the minute: nothing more');
    lastUsed.note('api_key', 1, t + LAST_USED_EVERY_MS);
    await lastUsed.flush();
    assert.equal(writes.length, 2);
    assert.deepEqual(writes[1]!.params, [t + LAST_USED_EVERY_MS, 1, t + LAST_USED_EVERY_MS]);
    await lastUsed.stop();
  });

  it('with Redis, one node writes a credential\'s minute, not every node', async () => {
    const claims = new Set<string>();
    const a = counting();
    const b = counting();
    const nodeA = createLastUsed(a.statements, state('redis', claims));
    const nodeB = createLastUsed(b.statements, state('redis', claims));
    nodeA.note('api_key', 3, 1);
    nodeB.note('api_key', 3, 2);
    await Promise.all([nodeA.flush(), nodeB.flush()]);
    assert.equal(a.writes.length + b.writes.length, 1);
    await Promise.all([nodeA.stop(), nodeB.stop()]);
  });

  it('the timer writes by itself a moment later', async () => {
    const { writes, statements } = counting();
    const lastUsed = createLastUsed(statements, state('sql'));
    lastUsed.note('api_key', 9, Date.now());
    const until = Date.now() + 10_000;
    while (writes.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(writes.length, 1);
    await lastUsed.stop();
  });
});
