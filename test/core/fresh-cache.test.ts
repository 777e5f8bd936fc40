import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FRESH_MS, freshCache } from '../../src/core/fresh-cache.js';

function counting() {
  const changes = { version: 0 };
  let t = 1_000_000;
  let loads = 0;
  const cache = freshCache<string, string>(changes, () => t);
  const read = (key: string, ...value: [string | undefined] | []) =>
    cache.read(key, async () => {
      loads++;
      return value.length ? value[0] : `value of ${key}`;
    });
  return { changes, read, peek: (key: string) => cache.peek(key), loads: () => loads, advance: (ms: number) => (t += ms) };
}

describe('fresh cache', () => {
  it('peeks only at what a read would answer without loading: nothing before a read, after a write or past FRESH_MS', async () => {
    const c = counting();
    assert.equal(c.peek('k'), undefined);
    await c.read('k');
    assert.equal(c.peek('k'), 'value of k');
    c.changes.version++;
    assert.equal(c.peek('k'), undefined);
    await c.read('k');
    c.advance(FRESH_MS);
    assert.equal(c.peek('k'), undefined);
    assert.equal(c.loads(), 2);
  });

  it('reads once while nothing changed and the entry is young', async () => {
    const c = counting();
    assert.equal(await c.read('k'), 'value of k');
    c.advance(FRESH_MS - 1);
    assert.equal(await c.read('k'), 'value of k');
    assert.equal(c.loads(), 1);
  });

  it('reads again once FRESH_MS has passed (another node may have changed it), and FRESH_MS is under a second', async () => {
    assert.ok(FRESH_MS < 1000);
    const c = counting();
    await c.read('k');
    c.advance(FRESH_MS);
    await c.read('k');
    assert.equal(c.loads(), 2);
  });

  it('reads again after any write on this process', async () => {
    const c = counting();
    await c.read('k');
    c.changes.version++;
    await c.read('k');
    assert.equal(c.loads(), 2);
  });

  it('keeps no miss: a row that appears is seen by the next read', async () => {
    const c = counting();
    assert.equal(await c.read('k', undefined), undefined);
    assert.equal(await c.read('k', 'now here'), 'now here');
    assert.equal(c.loads(), 2);
  });

  it('keeps no error', async () => {
    const changes = { version: 0 };
    const cache = freshCache<string, string>(changes);
    await assert.rejects(cache.read('k', async () => Promise.reject(new Error('storage down'))));
    assert.equal(await cache.read('k', async () => 'fine'), 'fine');
  });

  it('stamps an entry with the version from before its read: a write during the read leaves it stale', async () => {
    const changes = { version: 0 };
    const cache = freshCache<string, string>(changes);
    let loads = 0;
    await cache.read('k', async () => {
      loads++;
      changes.version++; // committed while the read was in flight
      return 'old';
    });
    assert.equal(await cache.read('k', async () => (loads++, 'new')), 'new');
    assert.equal(loads, 2);
  });
});
