// POST /voicetwilio/statuscallback: one record per call, order-free and idempotent.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type VoiceWorld, callSid, parseTwiml, startVoiceWorld } from './voice-world.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 30, 12, 0, seconds)).toUTCString();

for (const dialect of DIALECTS) {
  describe(`POST /voicetwilio/statuscallback on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: VoiceWorld;
    let number: string;
    let lineId: number;
    before(async () => {
      w = await startVoiceWorld(dialect);
      number = w.newNumber();
      await w.assign(number, w.siteA);
      const line = await w.line(w.siteA, { name: 'Front desk', phoneNumber: number, agentIds: [w.agentA1.id, w.agentA2.id] });
      lineId = line.body.id;
    });
    after(() => w.close());

    const status = (sid: string, callStatus: string, seconds: number, extra: Record<string, string> = {}) =>
      w.webhook('/voicetwilio/statuscallback', { CallSid: sid, From: '+14155550123', To: number, Direction: 'inbound', CallStatus: callStatus, Timestamp: at(seconds), ...extra });
    const record = async (sid: string) => (await w.api('GET', `/voiceconfig/callrecords/${sid}`, w.admin)).body;

    test('events out of order and repeated give the same record as in order', async () => {
      const sid = callSid();
      const ok = await status(sid, 'completed', 50, { CallDuration: '38', Price: '-0.0085', PriceUnit: 'USD' });
      assert.equal(ok.status, 200);
      parseTwiml(ok.text);
      await status(sid, 'ringing', 2);
      await status(sid, 'in-progress', 12);
      await status(sid, 'initiated', 1);
      await status(sid, 'in-progress', 12);
      await status(sid, 'ringing', 2);
      const r = await record(sid);
      assert.equal(r.status, 'completed');
      assert.equal(r.direction, 'inbound');
      assert.equal(r.lineId, lineId);
      assert.equal(r.lineName, 'Front desk');
      assert.equal(r.siteId, w.siteA);
      assert.equal(r.startTime, new Date(Date.UTC(2026, 10, 30, 12, 0, 1)).toISOString());
      assert.equal(r.answerTime, new Date(Date.UTC(2026, 10, 30, 12, 0, 12)).toISOString());
      assert.equal(r.endTime, new Date(Date.UTC(2026, 10, 30, 12, 0, 50)).toISOString());
      assert.equal(r.duration, 38);
      assert.equal(r.price, '-0.0085');
      assert.equal(r.priceUnit, 'USD');
      assert.deepEqual(r.events.map((e: { status: string }) => e.status), ['initiated', 'ringing', 'in-progress', 'completed']);
    });

    test("the agent whose browser answered goes on the incoming call's record", async () => {
      const sid = callSid();
      await status(sid, 'ringing', 1);
      const leg = (agent: number, callStatus: string) =>
        w.webhook('/voicetwilio/statuscallback', { CallSid: callSid(), ParentCallSid: sid, From: '+14155550123', To: `client:agent_${agent}`, Direction: 'outbound-dial', CallStatus: callStatus });
      await leg(w.agentC.id, 'in-progress'); // not on the line: ignored
      await leg(w.agentA2.id, 'in-progress');
      await leg(w.agentA1.id, 'in-progress'); // the first answer stays
      const r = await record(sid);
      assert.equal(r.agentId, w.agentA2.id);
      assert.equal(r.status, 'ringing');
    });

    test('a callback signed by another Twilio account, or for a number no line has, records nothing', async () => {
      const other = `AC${randomBytes(16).toString('hex')}`;
      const token = randomBytes(16).toString('hex');
      assert.equal((await w.api('PUT', '/voiceconfig/twilioaccount', w.admin, { siteId: w.siteC, accountSid: other, authToken: token })).status, 200);
      const sid = callSid();
      // signed correctly by site C's own account, about site A's number: not site C's line
      const res = await w.webhook('/voicetwilio/statuscallback', { AccountSid: other, CallSid: sid, From: '+14155550123', To: number, Direction: 'inbound', CallStatus: 'ringing' }, { authToken: token });
      assert.equal(res.status, 200);
      assert.equal((await w.api('GET', `/voiceconfig/callrecords/${sid}`, w.admin)).status, 404);
      // and it cannot move site A's existing record either
      const mine = callSid();
      await status(mine, 'ringing', 1);
      await w.webhook('/voicetwilio/statuscallback', { AccountSid: other, CallSid: mine, From: '+1', To: number, CallStatus: 'completed' }, { authToken: token });
      assert.equal((await record(mine)).status, 'ringing');
      const unknown = callSid();
      await w.webhook('/voicetwilio/statuscallback', { CallSid: unknown, From: '+14155550123', To: '+14155550000', CallStatus: 'ringing' });
      assert.equal((await w.api('GET', `/voiceconfig/callrecords/${unknown}`, w.admin)).status, 404);
      assert.equal((await w.webhook('/voicetwilio/statuscallback', { CallSid: unknown, CallStatus: 'ringing' }, { signature: 'bm9wZQ==' })).status, 403);
      // statuses Twilio never sends (even ones that name a property of every JavaScript object) are ignored
      for (const odd of ['constructor', 'toString', '__proto__', 'refused']) {
        const res = await w.webhook('/voicetwilio/statuscallback', { CallSid: mine, From: '+14155550123', To: number, CallStatus: odd });
        assert.equal(res.status, 200, `${odd}: ${res.text}`);
      }
      assert.equal((await record(mine)).status, 'ringing');
    });

    test("an agent's outgoing call is recorded by the voice URL, then moved on by its status", async () => {
      const sid = callSid();
      await w.webhook('/voicetwilio/voice', { CallSid: sid, From: `client:agent_${w.agentA1.id}`, To: '+14155550100', CallerId: number });
      await w.webhook('/voicetwilio/statuscallback', { CallSid: sid, From: `client:agent_${w.agentA1.id}`, To: '+14155550100', CallStatus: 'completed', CallDuration: '7' });
      const r = await record(sid);
      assert.equal(r.direction, 'outbound');
      assert.equal(r.agentId, w.agentA1.id);
      assert.equal(r.from, number);
      assert.equal(r.to, '+14155550100');
      assert.equal(r.lineId, lineId);
      assert.equal(r.status, 'completed');
      assert.equal(r.duration, 7);
    });

    test('deleting a line in a call keeps the line\'s name on its record', async () => {
      const n = w.newNumber();
      await w.assign(n, w.siteA);
      const line = (await w.line(w.siteA, { name: 'Temporary', phoneNumber: n, agentIds: [w.agentA1.id] })).body;
      const sid = callSid();
      await w.webhook('/voicetwilio/statuscallback', { CallSid: sid, From: '+14155550123', To: n, Direction: 'inbound', CallStatus: 'in-progress' });
      assert.equal((await w.api('DELETE', `/voiceconfig/phonelines/${line.id}`, w.admin)).status, 200);
      await w.webhook('/voicetwilio/statuscallback', { CallSid: sid, From: '+14155550123', To: n, Direction: 'inbound', CallStatus: 'completed' });
      const r = await record(sid);
      assert.equal(r.status, 'completed');
      assert.equal(r.lineName, 'Temporary');
      assert.equal(r.lineId, line.id);
    });
  });
}
