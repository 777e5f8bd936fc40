// The voice URL: TwiML for incoming calls to a line and for agents' outgoing calls, under Twilio's signature.
import type { Caller } from '../../../src/core/callers.js';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { PUBLIC_URL, type VoiceWorld, callSid, parseTwiml, randomE164, startVoiceWorld, verbs } from './voice-world.js';

/** The deployment admin, as core sees it: sets the allow list the way PUT /2fa/settings/countries would. */
const OPERATOR = { tenantId: 1, tenantSid: '', tenantPath: '/', accountId: null, role: 'admin', via: 'api_key' } as const satisfies Caller;

for (const dialect of DIALECTS) {
  describe(`POST /voicetwilio/voice on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: VoiceWorld;
    before(async () => {
      w = await startVoiceWorld(dialect);
    });
    after(() => w.close());

    async function lineWith(fields: Record<string, unknown> = {}) {
      const number = w.newNumber();
      await w.assign(number, w.siteA);
      const res = await w.line(w.siteA, { name: 'Support', phoneNumber: number, agentIds: [w.agentA1.id, w.agentA2.id], ...fields });
      assert.equal(res.status, 200, res.text);
      return { number, line: res.body };
    }
    const incoming = (to: string, extra: Record<string, string> = {}) =>
      w.webhook('/voicetwilio/voice', { CallSid: callSid(), From: '+14155550123', To: to, CallStatus: 'ringing', Direction: 'inbound', ...extra });

    test('a signature made by the official SDK is accepted; an altered parameter, a wrong token or none is 403', async () => {
      const { number } = await lineWith();
      const form = { AccountSid: w.twilio.accountSid, CallSid: callSid(), From: '+14155550123', To: number, CallStatus: 'ringing' };
      const signature = twilio.getExpectedTwilioSignature(w.twilio.authToken, `${PUBLIC_URL}/voicetwilio/voice`, form);
      assert.ok(twilio.validateRequest(w.twilio.authToken, signature, `${PUBLIC_URL}/voicetwilio/voice`, form));
      const ok = await w.webhook('/voicetwilio/voice', form, { signature });
      assert.equal(ok.status, 200, ok.text);
      assert.match(ok.headers.get('content-type') ?? '', /^text\/xml/);
      const altered = await w.webhook('/voicetwilio/voice', form, { signature, tamper: { To: randomE164() } });
      assert.equal(altered.status, 403);
      assert.deepEqual(altered.body, { error: 'forbidden', message: 'invalid X-Twilio-Signature' });
      assert.equal((await w.webhook('/voicetwilio/voice', form, { authToken: 'f'.repeat(32) })).status, 403);
      assert.equal((await w.webhook('/voicetwilio/voice', form, { signature: '' })).status, 403);
      // a query string is signed too: Gatehouse's own action URLs cannot be forged
      const forged = await w.webhook('/voicetwilio/voice?dialed=1', form, { signature });
      assert.equal(forged.status, 403);
    });

    test('an incoming call: the greeting, then every agent of the line rings for the ring timeout, then the action comes back', async () => {
      const { number, line } = await lineWith({ greeting: { type: 'say', text: 'Welcome to <Acme> & "friends"', language: 'en-GB', voice: 'Polly.Amy' }, ringTimeout: 25 });
      const res = await incoming(number);
      assert.equal(res.status, 200);
      const doc = parseTwiml(res.text).Response;
      assert.deepEqual(verbs(res.text), ['Say', 'Dial']);
      assert.equal(doc.Say[0]['#text'], 'Welcome to <Acme> & "friends"');
      assert.equal(doc.Say[0]['@language'], 'en-GB');
      assert.equal(doc.Say[0]['@voice'], 'Polly.Amy');
      const dial = doc.Dial[0];
      assert.equal(dial['@timeout'], '25');
      assert.equal(dial['@action'], `${PUBLIC_URL}/voicetwilio/voice?dialed=${line.id}`);
      assert.deepEqual(dial.Client.map((c: any) => c['#text']), [`agent_${w.agentA1.id}`, `agent_${w.agentA2.id}`]);
      assert.equal(dial.Client[0]['@statusCallback'], `${PUBLIC_URL}/voicetwilio/statuscallback`);
    });

    test('a played greeting, and blocked agents do not ring', async () => {
      const blocked = await w.newAgent();
      const { number } = await lineWith({ greeting: { type: 'play', url: 'https://cdn.example/welcome.mp3?a=1&b=2' }, agentIds: [blocked.id, w.agentA1.id] });
      await w.api('PATCH', `/admin/accounts/${blocked.id}`, w.admin, { blocked: true });
      const doc = parseTwiml((await incoming(number)).text).Response;
      assert.equal(doc.Play[0], 'https://cdn.example/welcome.mp3?a=1&b=2');
      assert.deepEqual(doc.Dial[0].Client.map((c: any) => c['#text']), [`agent_${w.agentA1.id}`]);
    });

    test('nobody answered: voicemail with a length limit, a forward, or a message and hang-up', async () => {
      const voicemail = await lineWith({ fallback: { type: 'voicemail', text: 'Leave a message', maxLength: 90 } });
      const answered = await w.webhook(`/voicetwilio/voice?dialed=${voicemail.line.id}`, { CallSid: callSid(), From: '+14155550123', To: voicemail.number, DialCallStatus: 'completed' });
      assert.deepEqual(verbs(answered.text), ['Hangup']);
      const missed = await w.webhook(`/voicetwilio/voice?dialed=${voicemail.line.id}`, { CallSid: callSid(), From: '+14155550123', To: voicemail.number, DialCallStatus: 'no-answer' });
      assert.deepEqual(verbs(missed.text), ['Say', 'Record', 'Hangup']);
      const rec = parseTwiml(missed.text).Response.Record[0];
      assert.equal(rec['@maxLength'], '90');
      assert.equal(rec['@action'], `${PUBLIC_URL}/voicetwilio/voice?recorded=${voicemail.line.id}`);
      const thanks = await w.webhook(`/voicetwilio/voice?recorded=${voicemail.line.id}`, { CallSid: callSid(), From: '+14155550123', To: voicemail.number, RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1' });
      assert.deepEqual(verbs(thanks.text), ['Say', 'Hangup']);

      const target = randomE164();
      const forward = await lineWith({ fallback: { type: 'forward', number: target } });
      const fwd = await w.webhook(`/voicetwilio/voice?dialed=${forward.line.id}`, { CallSid: callSid(), From: '+14155550123', To: forward.number, DialCallStatus: 'busy' });
      assert.deepEqual(verbs(fwd.text), ['Dial', 'Hangup']);
      const dial = parseTwiml(fwd.text).Response.Dial[0];
      assert.deepEqual(dial.Number, [target]);
      assert.equal(dial['@callerId'], '+14155550123');

      const message = await lineWith({ fallback: { type: 'message', text: 'We are closed </Say><Dial>+1900</Dial>' }, agentIds: [] });
      // no agent on the line: straight to the fallback
      const closed = await incoming(message.number);
      assert.deepEqual(verbs(closed.text), ['Say', 'Hangup']);
      assert.equal(parseTwiml(closed.text).Response.Say[0], 'We are closed </Say><Dial>+1900</Dial>');
    });

    test('a number with no line, or a line of a site another Twilio account serves, is not in service', async () => {
      const res = await incoming(randomE164());
      assert.deepEqual(verbs(res.text), ['Say', 'Hangup']);
      assert.match(parseTwiml(res.text).Response.Say[0], /not in service/);
      // site C brings its own Twilio account; a call signed by it to site A's number never reaches site A's line
      const { number } = await lineWith();
      const other = `AC${randomBytes(16).toString('hex')}`;
      const token = randomBytes(16).toString('hex');
      assert.equal((await w.api('PUT', '/voiceconfig/twilioaccount', w.admin, { siteId: w.siteC, accountSid: other, authToken: token })).status, 200);
      try {
        const crossed = await w.webhook('/voicetwilio/voice', { AccountSid: other, CallSid: callSid(), From: '+14155550123', To: number }, { authToken: token });
        assert.equal(crossed.status, 200);
        assert.deepEqual(verbs(crossed.text), ['Say', 'Hangup']);
        assert.ok(!crossed.text.includes('<Dial'));
        // nor may site C's agents call out through it
        const out = await w.webhook('/voicetwilio/voice', { AccountSid: other, CallSid: callSid(), From: `client:agent_${w.agentA1.id}`, To: '+14155550100', CallerId: number }, { authToken: token });
        assert.deepEqual(verbs(out.text), ['Say', 'Hangup']);
      } finally {
        await w.api('DELETE', `/voiceconfig/twilioaccount?siteId=${w.siteC}`, w.admin);
      }
    });

    test('an agent calls out from its line\'s number to an allowed destination', async () => {
      const { number } = await lineWith();
      const to = '+447712345678';
      const res = await w.webhook('/voicetwilio/voice', { CallSid: callSid(), From: `client:agent_${w.agentA1.id}`, To: to, CallerId: number, Direction: 'inbound' });
      assert.deepEqual(verbs(res.text), ['Dial']);
      const dial = parseTwiml(res.text).Response.Dial[0];
      assert.equal(dial['@callerId'], number);
      assert.deepEqual(dial.Number, [to]);
    });

    test('an outgoing call is refused for a caller ID of another line, for a non-agent, and for a country outside the allow list', async () => {
      const { number } = await lineWith();
      const other = w.newNumber();
      await w.assign(other, w.siteA);
      assert.equal((await w.line(w.siteA, { name: 'Sales', phoneNumber: other, agentIds: [w.agentA2.id] })).status, 200);
      const out = (from: string, to: string, callerId: string) => w.webhook('/voicetwilio/voice', { CallSid: callSid(), From: from, To: to, CallerId: callerId });
      const refused = (text: string, reason: RegExp) => {
        assert.deepEqual(verbs(text), ['Say', 'Hangup']);
        assert.match(parseTwiml(text).Response.Say[0], reason);
      };
      refused((await out(`client:agent_${w.agentA1.id}`, '+14155550100', other)).text, /caller ID/);
      refused((await out(`client:agent_${w.agentC.id}`, '+14155550100', number)).text, /caller ID/);
      refused((await out(`client:agent_${w.agentA1.id}`, 'not-a-number', number)).text, /international/);
      // the site's partner allows only +1: a UK destination is refused for the site's agents
      const site = await w.server.runtime.core.tenants.find(w.partner);
      await w.server.runtime.core.settings.setAllowedCallingCodes(OPERATOR, site!, ['1']);
      try {
        refused((await out(`client:agent_${w.agentA1.id}`, '+447712345678', number)).text, /country/);
        assert.deepEqual(verbs((await out(`client:agent_${w.agentA1.id}`, '+14155550100', number)).text), ['Dial']);
      } finally {
        await w.server.runtime.core.settings.setAllowedCallingCodes(OPERATOR, site!, []);
      }
    });

    test('the fallback URL apologises and hangs up, and keeps Twilio\'s error on the call', async () => {
      const { number } = await lineWith();
      const sid = callSid();
      const res = await w.webhook('/voicetwilio/fallback', { CallSid: sid, From: '+14155550123', To: number, CallStatus: 'ringing', Direction: 'inbound', ErrorCode: '11200', ErrorUrl: `${PUBLIC_URL}/voicetwilio/voice` });
      assert.equal(res.status, 200);
      assert.deepEqual(verbs(res.text), ['Say', 'Hangup']);
      const record = await w.api('GET', `/voiceconfig/callrecords/${sid}`, w.admin);
      assert.equal(record.status, 200, record.text);
      assert.equal(record.body.errorCode, '11200');
      assert.equal(record.body.errorUrl, `${PUBLIC_URL}/voicetwilio/voice`);
      assert.equal((await w.webhook('/voicetwilio/fallback', { CallSid: sid }, { signature: 'nope' })).status, 403);
    });
  });
}
