import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newSid, newTimeOrderedSid, newToken, randomString } from '../../src/core/crypto.js';

describe('ids', () => {
  it('are a prefix and 32 hex digits, and never repeat across many refills of the random pool', () => {
    const ids = Array.from({ length: 5000 }, () => newSid('AC'));
    for (const id of ids) assert.match(id, /^AC[0-9a-f]{32}$/);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('time-ordered ones start with the creation time, so they sort in the order they were made', () => {
    const at = Date.UTC(2026, 10, 23, 12, 0, 0);
    const id = newTimeOrderedSid('OTP', at);
    assert.match(id, /^OTP[0-9a-f]{32}$/);
    assert.equal(parseInt(id.slice(3, 15), 16), at);
    const made = [at + 2, at, at + 1].map((t) => newTimeOrderedSid('OTP', t));
    assert.deepEqual([...made].sort(), [made[1], made[2], made[0]]);
    // The rest is random: two ids of the same millisecond differ.
    assert.notEqual(newTimeOrderedSid('OTP', at), newTimeOrderedSid('OTP', at));
  });
});

describe('tokens', () => {
  it('are a prefix and 32 random bytes in base64url, never repeated across refills, interleaved with ids', () => {
    const tokens = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 && newSid('AC'), newToken('gh_')));
    for (const t of tokens) {
      assert.match(t, /^gh_[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(t.slice(3), 'base64url').length, 32);
    }
    assert.equal(new Set(tokens).size, tokens.length);
  });
});

describe('randomString', () => {
  it('draws only from the alphabet, every character of it', () => {
    const s = randomString('0123456789', 5000);
    assert.match(s, /^\d{5000}$/);
    assert.equal(new Set(s).size, 10);
  });
});
