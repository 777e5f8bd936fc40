/** The pure parts of the guessing limits: which account credentials name, and the account-wide delay. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACCOUNT_SLOW_AFTER, MAX_DELAY_MS, accountNamed, slowDelayMs } from '../../../src/core/guessing/guessing.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('Basic names its SID; a value without a colon names nobody', () => {
  assert.equal(accountNamed({ scheme: 'basic', value: b64('AC123:token') }), 'sid:AC123');
  assert.equal(accountNamed({ scheme: 'basic', value: b64('no colon') }), null);
});

test('Digest names username@domain, the domain from From, else the realm, in lower case', () => {
  const value = 'username="alice", realm="Sip.Example.org", nonce="n", uri="/", response="r"';
  assert.equal(accountNamed({ scheme: 'digest', value, from: '<sip:alice@Other.Example.org>;tag=1' }), 'sip:alice@other.example.org');
  assert.equal(accountNamed({ scheme: 'digest', value, from: undefined }), 'sip:alice@sip.example.org');
  assert.equal(accountNamed({ scheme: 'digest', value: 'garbage', from: undefined }), null);
});

test('an API key names no account', () => {
  assert.equal(accountNamed({ scheme: 'apiKey' }), null);
});

test('the account-wide delay is 0 up to the threshold, then doubles from 100 ms up to the cap', () => {
  assert.equal(slowDelayMs(0), 0);
  assert.equal(slowDelayMs(ACCOUNT_SLOW_AFTER), 0);
  assert.deepEqual([1, 2, 3, 4, 5].map((i) => slowDelayMs(ACCOUNT_SLOW_AFTER + i)), [100, 200, 400, 800, 1600]);
  assert.equal(slowDelayMs(ACCOUNT_SLOW_AFTER + 100), MAX_DELAY_MS);
  assert.equal(slowDelayMs(Number.MAX_SAFE_INTEGER), MAX_DELAY_MS);
});
