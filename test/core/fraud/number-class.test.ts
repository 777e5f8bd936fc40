/** Which numbers a channel sends a code to (issue 23's decisions), by libphonenumber-js's max metadata. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FraudErrors } from '../../../src/core/fraud/errors.js';
import { assertSendable, channelAccepts, classify, prefixOf } from '../../../src/core/fraud/number-class.js';

const CASES: Array<[number: string, kind: string, sms: boolean, call: boolean]> = [
  ['+919960639903', 'MOBILE', true, true],
  ['+447712345678', 'MOBILE', true, true],
  ['+14155550100', 'FIXED_LINE_OR_MOBILE', true, true],
  ['+19005550100', 'PREMIUM_RATE', false, false],
  ['+448712345678', 'PREMIUM_RATE', false, false],
  ['+33899123456', 'PREMIUM_RATE', false, false],
  ['+448443123456', 'PREMIUM_RATE', false, false],
  ['+4930123456', 'FIXED_LINE', false, true],
  ['+18005551212', 'TOLL_FREE', false, true],
  ['+15550001111', 'invalid', false, false],
  ['+447700900123', 'invalid', false, false],
];

test('each number class is accepted or refused per channel as the issue decides', () => {
  for (const [number, kind, sms, call] of CASES) {
    const c = classify(number);
    assert.equal(c.kind, kind, number);
    assert.equal(channelAccepts('sms', c.kind), sms, `${number} sms`);
    assert.equal(channelAccepts('call', c.kind), call, `${number} call`);
  }
});

test('shared cost, UAN, voicemail and pager are refused for sms; VoIP and personal numbers accepted; unknown refused for both', () => {
  for (const kind of ['SHARED_COST', 'unknown'] as const) assert.deepEqual([channelAccepts('sms', kind), channelAccepts('call', kind)], [false, false], kind);
  for (const kind of ['UAN', 'VOICEMAIL', 'PAGER', 'FIXED_LINE'] as const) assert.deepEqual([channelAccepts('sms', kind), channelAccepts('call', kind)], [false, true], kind);
  for (const kind of ['VOIP', 'PERSONAL_NUMBER', 'MOBILE', 'FIXED_LINE_OR_MOBILE'] as const) assert.deepEqual([channelAccepts('sms', kind), channelAccepts('call', kind)], [true, true], kind);
});

test('a refusal carries the fraud code, the field and the number type', () => {
  assert.throws(() => assertSendable('sms', '+19005550100'), (err: any) => err.code === FraudErrors.numberRefused && err.field === 'to' && err.details.numberType === 'PREMIUM_RATE' && /premium-rate/.test(err.message));
  assert.throws(() => assertSendable('call', '+15550001111'), (err: any) => err.code === FraudErrors.numberRefused && /not a valid phone number/.test(err.message));
});

test('the prefix is the calling code and the first national digits', () => {
  assert.equal(prefixOf(classify('+14155550100'), 3), '+1-415');
  assert.equal(prefixOf(classify('+447712345678'), 3), '+44-771');
  assert.equal(prefixOf(classify('+919960639903'), 4), '+91-9960');
  assert.equal(prefixOf(classify('+919960639903'), 0), '+91-');
});
