// Gatehouse's Access Token against the one Twilio's official helper library builds from the same inputs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import twilio from 'twilio';
import { accessToken, accountOfClient, clientIdentity } from '../../../src/core/voice/access-token.js';

const accountSid = `AC${randomBytes(16).toString('hex')}`;
const apiKeySid = `SK${randomBytes(16).toString('hex')}`;
const apiKeySecret = randomBytes(16).toString('hex');
const twimlAppSid = `AP${randomBytes(16).toString('hex')}`;

function official(identity: string, ttl: number): string {
  const token = new twilio.jwt.AccessToken(accountSid, apiKeySid, apiKeySecret, { identity, ttl });
  token.addGrant(new twilio.jwt.AccessToken.VoiceGrant({ outgoingApplicationSid: twimlAppSid, incomingAllow: true }));
  return token.toJwt();
}

test("the token carries the official SDK's header and claims, and both verify with the API key secret", async () => {
  const theirs = official('agent_42', 1800);
  const iat = decodeJwt(theirs).iat!;
  const ours = (await accessToken({ accountSid, apiKeySid, apiKeySecret, twimlAppSid, identity: 'agent_42', ttlSeconds: 1800, now: iat })).token;
  assert.deepEqual(decodeProtectedHeader(ours), decodeProtectedHeader(theirs));
  assert.deepEqual(decodeProtectedHeader(ours), { alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' });
  assert.deepEqual(decodeJwt(ours), decodeJwt(theirs));
  const claims = decodeJwt(ours);
  assert.equal(claims.iss, apiKeySid);
  assert.equal(claims.sub, accountSid);
  assert.equal(claims.exp! - claims.iat!, 1800);
  assert.deepEqual(claims.grants, { identity: 'agent_42', voice: { incoming: { allow: true }, outgoing: { application_sid: twimlAppSid } } });
  const key = new TextEncoder().encode(apiKeySecret);
  for (const token of [ours, theirs]) {
    await jwtVerify(token, key, { algorithms: ['HS256'], issuer: apiKeySid, subject: accountSid });
    await assert.rejects(jwtVerify(token, new TextEncoder().encode(randomBytes(16).toString('hex'))));
  }
});

test('the lifetime is capped at 24 hours', async () => {
  const { token, expiresAt } = await accessToken({ accountSid, apiKeySid, apiKeySecret, twimlAppSid, identity: 'agent_1', ttlSeconds: 7 * 86400, now: 1_000 });
  assert.equal(expiresAt, 1_000 + 86400);
  assert.equal(decodeJwt(token).exp, 1_000 + 86400);
});

test('a client identity names its account, and nothing else parses as one', () => {
  assert.equal(clientIdentity(7), 'agent_7');
  assert.equal(accountOfClient('client:agent_7'), 7);
  assert.equal(accountOfClient('agent_7'), 7);
  for (const other of ['client:agent_', 'client:agent_07', 'client:bob', '+14155550100', 'client:agent_7 ', undefined]) assert.equal(accountOfClient(other), null);
});
