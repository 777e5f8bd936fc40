/**
 * Standard Webhooks signing, checked against the `standardwebhooks` package (the reference library a
 * tenant's receiver would use): it verifies what we sign, we sign what it signs, and a changed body,
 * id or secret fails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { newMessageId, newSecret, signature, signedHeaders } from '../../../src/core/events/signing.js';

describe('webhook signing', () => {
  it('a new secret is whsec_ and 32 random bytes in base64; a message id is msg_ and 32 hex digits', () => {
    const s = newSecret();
    assert.match(s, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(s.slice(6), 'base64').length, 32);
    assert.notEqual(newSecret(), s);
    assert.match(newMessageId(), /^msg_[0-9a-f]{32}$/);
  });

  it('standardwebhooks verifies our headers, and its own signature equals ours', () => {
    const secret = newSecret();
    const id = newMessageId();
    const body = JSON.stringify({ type: 'verification.sent', timestamp: new Date().toISOString(), data: { requestId: 'OTP1' } });
    const headers = signedHeaders(secret, id, body);
    assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body));
    const ts = Number(headers['webhook-timestamp']);
    assert.equal(new Webhook(secret).sign(id, new Date(ts * 1000), body), signature(secret, id, ts, body));
  });

  it('a changed body, id or secret does not verify', () => {
    const secret = newSecret();
    const id = newMessageId();
    const body = '{"type":"verification.approved","timestamp":"2026-12-06T00:00:00.000Z","data":{}}';
    const headers = signedHeaders(secret, id, body);
    assert.throws(() => new Webhook(secret).verify(body.replace('approved', 'canceled'), headers));
    assert.throws(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': newMessageId() }));
    assert.throws(() => new Webhook(newSecret()).verify(body, headers));
  });
});
