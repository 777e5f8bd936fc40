import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseTwilioStatus, validateTwilioSignature } from '../../src/channels/twilio-status.js';

const SM = `SM${'a'.repeat(32)}`;
const CA = `CA${'b'.repeat(32)}`;

describe('validateTwilioSignature', () => {
  // Twilio's own documented example (auth token 12345); the expected value comes from Twilio's docs.
  const token = '12345';
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };

  it("accepts Twilio's documented signature vector", () => {
    assert.equal(validateTwilioSignature(token, url, params, 'RSOYDt4T1cUTdK1PDd93/VVr8B8='), true);
  });

  it('accepts a signature computed by hand over the URL and the sorted name+value pairs', () => {
    const form = { To: '+14155551234', MessageStatus: 'delivered', MessageSid: SM, AccountSid: `AC${'0'.repeat(32)}` };
    const data = `https://gh.example/2fa/callbacks/twilio/status?r=1AccountSid${form.AccountSid}MessageSid${SM}MessageStatusdeliveredTo+14155551234`;
    const expected = createHmac('sha1', 'secret-token').update(data).digest('base64');
    assert.equal(validateTwilioSignature('secret-token', 'https://gh.example/2fa/callbacks/twilio/status?r=1', form, expected), true);
  });

  it('refuses a changed parameter, a changed URL, a wrong token, and a missing signature', () => {
    const good = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
    assert.equal(validateTwilioSignature(token, url, { ...params, Digits: '1235' }, good), false);
    assert.equal(validateTwilioSignature(token, url, { ...params, Extra: '' }, good), false);
    assert.equal(validateTwilioSignature(token, `${url}&x=1`, params, good), false);
    assert.equal(validateTwilioSignature('12346', url, params, good), false);
    assert.equal(validateTwilioSignature(token, url, params, undefined), false);
    assert.equal(validateTwilioSignature(token, url, params, ''), false);
    assert.equal(validateTwilioSignature('', url, params, good), false);
    assert.equal(validateTwilioSignature(token, url, params, good.slice(0, -1)), false);
  });

  it('accepts the URL with or without its default port, since proxies add or drop it', () => {
    const sign = (u: string) => createHmac('sha1', token).update(`${u}A1`).digest('base64');
    assert.equal(validateTwilioSignature(token, 'https://h.example/cb', { A: '1' }, sign('https://h.example:443/cb')), true);
    assert.equal(validateTwilioSignature(token, 'https://h.example:443/cb', { A: '1' }, sign('https://h.example/cb')), true);
    assert.equal(validateTwilioSignature(token, 'https://h.example:8443/cb', { A: '1' }, sign('https://h.example/cb')), false);
  });
});

describe('parseTwilioStatus', () => {
  it('reads a message status callback', () => {
    assert.deepEqual(parseTwilioStatus({ MessageSid: SM, MessageStatus: 'delivered' }), { providerId: SM, status: 'delivered' });
    assert.deepEqual(parseTwilioStatus({ MessageSid: SM, MessageStatus: 'sent' }), { providerId: SM, status: 'sent' });
    assert.deepEqual(parseTwilioStatus({ SmsSid: SM, SmsStatus: 'queued' }), { providerId: SM, status: 'queued' });
  });

  it('reads a call status callback', () => {
    assert.deepEqual(parseTwilioStatus({ CallSid: CA, CallStatus: 'completed' }), { providerId: CA, status: 'delivered' });
    assert.deepEqual(parseTwilioStatus({ CallSid: CA, CallStatus: 'ringing' }), { providerId: CA, status: 'sent' });
  });

  it('folds undelivered, busy, no-answer and canceled into failed, with the reason and error code', () => {
    for (const [form, reason] of [
      [{ MessageSid: SM, MessageStatus: 'undelivered', ErrorCode: '30003' }, 'undelivered: twilio error 30003'],
      [{ MessageSid: SM, MessageStatus: 'failed', ErrorCode: '30008', ErrorMessage: 'Unknown\r\nerror' }, 'failed: twilio error 30008: Unknown error'],
      [{ CallSid: CA, CallStatus: 'busy' }, 'busy'],
      [{ CallSid: CA, CallStatus: 'no-answer' }, 'no-answer'],
      [{ CallSid: CA, CallStatus: 'canceled' }, 'canceled'],
    ] as const) {
      assert.deepEqual(parseTwilioStatus(form), { providerId: form.MessageSid ?? form.CallSid, status: 'failed', error: reason });
    }
  });

  it('ignores forms without a well-formed SID or with an unknown status', () => {
    assert.equal(parseTwilioStatus({ MessageStatus: 'delivered' }), null);
    assert.equal(parseTwilioStatus({ MessageSid: 'SM123', MessageStatus: 'delivered' }), null);
    assert.equal(parseTwilioStatus({ MessageSid: SM, MessageStatus: 'exploded' }), null);
    assert.equal(parseTwilioStatus({ MessageSid: SM, MessageStatus: 'constructor' }), null);
    assert.equal(parseTwilioStatus({ CallSid: CA }), null);
  });

  it('drops an error code that is not a number', () => {
    assert.deepEqual(parseTwilioStatus({ MessageSid: SM, MessageStatus: 'failed', ErrorCode: '<script>' }), {
      providerId: SM,
      status: 'failed',
      error: 'failed',
    });
  });
});
