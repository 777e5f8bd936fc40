/**
 * The lifetime rule (issue 22, finding 2) as pure functions: a credential is refused or capped so
 * that it expires no later than the one minting it; never-expiring minters leave it alone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertMintsNoLongerThan, earliest, hasExpired, mintedExpiry, mintedTtlSeconds } from '../../../src/core/credentials/lifetimes.js';

test('the earliest of two expiries, null meaning never', () => {
  assert.equal(earliest(null, null), null);
  assert.equal(earliest(undefined, 5), 5);
  assert.equal(earliest(5, null), 5);
  assert.equal(earliest(7, 5), 5);
});

test('asked for explicitly, a later (or never-ending) credential is refused, naming the field when given', () => {
  assert.doesNotThrow(() => assertMintsNoLongerThan({ expiresAt: null }, null, 'a key'));
  assert.doesNotThrow(() => assertMintsNoLongerThan({ expiresAt: 2000 }, 2000, 'a key'));
  assert.throws(() => assertMintsNoLongerThan({ expiresAt: 2000 }, null, 'a key', 'expiresAt'), (e: any) => e.code === 'validation' && e.field === 'expiresAt');
  assert.throws(() => assertMintsNoLongerThan({ expiresAt: 2000 }, 2001, 'an auth token'), (e: any) => e.code === 'forbidden' && /may not outlive/.test(e.message));
});

test('where the wire cannot ask, the new credential is capped to the minting one', () => {
  assert.equal(mintedExpiry({ expiresAt: null }, null), null, 'a password or an unexpiring key mints an unexpiring key');
  assert.equal(mintedExpiry({ expiresAt: 1000 }, null), 1000);
  assert.equal(mintedExpiry({ expiresAt: 1000 }, 500), 500);
  assert.equal(mintedExpiry(1000, 5000), 1000, 'a recorded expiry (an auth token\'s grantor) caps the same way');
  assert.equal(mintedExpiry(null, 5000), 5000);
});

test('a lifetime in seconds is cut to what is left of the minting credential, rounded down', () => {
  assert.equal(mintedTtlSeconds({ expiresAt: null }, 3600, 0), 3600);
  assert.equal(mintedTtlSeconds({ expiresAt: 300_999 }, 3600, 0), 300);
  assert.equal(mintedTtlSeconds({ expiresAt: 10_000_000 }, 3600, 0), 3600);
  const at = 1_700_000_000_456;
  const limit = at + 299_700;
  assert.ok(Math.floor(at / 1000) + mintedTtlSeconds({ expiresAt: limit }, 3600, at) <= limit / 1000, 'iat + ttl never passes the limit');
  assert.throws(() => mintedTtlSeconds({ expiresAt: 999 }, 3600, 0), (e: any) => e.code === 'unauthenticated');
});

test('what an expired credential granted yields nothing; a never-expiring one never expires', () => {
  assert.equal(hasExpired(null, Number.MAX_SAFE_INTEGER), false);
  assert.equal(hasExpired(1000, 999), false);
  assert.equal(hasExpired(1000, 1000), true);
});
