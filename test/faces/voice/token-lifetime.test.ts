/**
 * Issue 22, finding 2, on the voice face: GET /voicetwilio/token gave a 3,600 s Twilio Access Token to
 * a 5-minute key. The token now lives min(GATEHOUSE_VOICE_TOKEN_TTL, what is left of the caller's
 * credential); an unexpiring key still gets the configured lifetime.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, jwtVerify } from 'jose';
import { apiKey } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { API_KEY_SECRET, API_KEY_SID, type VoiceWorld, startVoiceWorld } from './voice-world.js';

for (const dialect of DIALECTS) {
  describe(`a Twilio Access Token expires with the caller's credential (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let w: VoiceWorld;
    before(async () => {
      // Agents' Gatehouse JWTs live 10 minutes, Twilio tokens an hour: the JWT is the shorter.
      w = await startVoiceWorld(dialect, { GATEHOUSE_JWT_TTL: '600', GATEHOUSE_VOICE_TOKEN_TTL: '3600' });
    });
    after(() => w.close());

    async function twilioToken(headers: Record<string, string>) {
      const res = await w.api('GET', '/voicetwilio/token', headers);
      assert.equal(res.status, 200, res.text);
      const { payload } = await jwtVerify(res.body.token, new TextEncoder().encode(API_KEY_SECRET), { issuer: API_KEY_SID });
      assert.equal(payload.exp! - payload.iat!, res.body.ttl, 'ttl is the token\'s own lifetime');
      assert.equal(Date.parse(res.body.expireTime), payload.exp! * 1000);
      return { ttl: res.body.ttl as number, exp: payload.exp! };
    }
    async function keyFor(accountId: number, expiresAt: number | null) {
      const res = await w.api('POST', `/admin/accounts/${accountId}/api-keys`, w.admin, expiresAt === null ? {} : { expiresAt: new Date(expiresAt).toISOString() });
      assert.equal(res.status, 201, res.text);
      return apiKey(res.body.apiKey);
    }

    test('a 5-minute API key gets a token of at most 5 minutes, ending no later than the key', async () => {
      const expiresAt = Date.now() + 300_000;
      const t = await twilioToken(await keyFor(w.agentA1.id, expiresAt));
      assert.ok(t.ttl <= 300 && t.ttl >= 290, `ttl ${t.ttl}`);
      assert.ok(t.exp * 1000 <= expiresAt);
    });

    test('a 10-minute Gatehouse JWT gets a token ending no later than the JWT', async () => {
      const jwtExp = decodeJwt(w.agentA2.headers.authorization!.slice('Bearer '.length)).exp!;
      const t = await twilioToken(w.agentA2.headers);
      assert.ok(t.ttl <= 600, `ttl ${t.ttl}`);
      assert.ok(t.exp <= jwtExp, `${t.exp} is after the JWT's ${jwtExp}`);
    });

    test('an API key that never expires gets the configured lifetime', async () => {
      assert.equal((await twilioToken(await keyFor(w.agentB.id, null))).ttl, 3600);
    });
  });
}
