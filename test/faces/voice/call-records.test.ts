// GET /voiceconfig/callrecords: filters and paging in the style of Smart 2FA's records, per tenant.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { basic, call } from '../../helpers/server.js';
import { type VoiceWorld, callSid, startVoiceWorld } from './voice-world.js';

for (const dialect of DIALECTS) {
  describe(`/voiceconfig/callrecords on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: VoiceWorld;
    let lineA: number;
    let lineA2: number;
    let numberA: string;
    let numberA2: string;
    let numberB: string;
    before(async () => {
      w = await startVoiceWorld(dialect);
      numberA = w.newNumber();
      numberA2 = w.newNumber();
      numberB = w.newNumber();
      await w.assign(numberA, w.siteA);
      await w.assign(numberA2, w.siteA);
      await w.assign(numberB, w.siteB);
      lineA = (await w.line(w.siteA, { name: 'A', phoneNumber: numberA, agentIds: [w.agentA1.id] })).body.id;
      lineA2 = (await w.line(w.siteA, { name: 'A2', phoneNumber: numberA2, agentIds: [w.agentA2.id] })).body.id;
      await w.line(w.siteB, { name: 'B', phoneNumber: numberB, agentIds: [w.agentB.id] });
      const event = (to: string, status: string, day: number) =>
        w.webhook('/voicetwilio/statuscallback', { CallSid: callSid(), From: '+14155550123', To: to, Direction: 'inbound', CallStatus: status, Timestamp: new Date(Date.UTC(2026, 10, day, 9)).toUTCString() });
      await event(numberA, 'completed', 1);
      await event(numberA, 'no-answer', 2);
      await event(numberA, 'completed', 3);
      await event(numberA2, 'completed', 4);
      await event(numberB, 'completed', 5);
      await w.webhook('/voicetwilio/voice', { CallSid: callSid(), From: `client:agent_${w.agentA2.id}`, To: '+14155550100', CallerId: numberA2 });
    });
    after(() => w.close());

    const get = (query: string, headers = w.superP.headers) => w.api('GET', `/voiceconfig/callrecords${query}`, headers);

    test('a site\'s records, newest first, filtered by line, agent, status, direction and time, paged with URIs', async () => {
      const all = await get(`?siteId=${w.siteA}`);
      assert.equal(all.status, 200, all.text);
      assert.equal(all.body.total, 5);
      const starts = all.body.result.map((r: { startTime: string }) => r.startTime);
      assert.deepEqual(starts, [...starts].sort().reverse());
      assert.equal((await get(`?siteId=${w.siteA}&lineId=${lineA}`)).body.total, 3);
      assert.equal((await get(`?siteId=${w.siteA}&lineId=${lineA2}`)).body.total, 2);
      assert.equal((await get(`?siteId=${w.siteA}&agentId=${w.agentA2.id}`)).body.total, 1);
      assert.equal((await get(`?siteId=${w.siteA}&status=no-answer`)).body.total, 1);
      assert.equal((await get(`?siteId=${w.siteA}&direction=outbound`)).body.total, 1);
      assert.equal((await get(`?siteId=${w.siteA}&startTime=2026-11-02&endTime=2026-11-03T23:59:59`)).body.total, 2);
      const paged = (await get(`?siteId=${w.siteA}&pageSize=2&SortBy=startTime:asc`)).body;
      assert.deepEqual([paged.total, paged.numPages, paged.page, paged.result.length, paged.start, paged.end], [5, 3, 0, 2, 0, 1]);
      assert.equal(paged.result[0].startTime, new Date(Date.UTC(2026, 10, 1, 9)).toISOString());
      assert.equal(paged.nextPageUri, `/voiceconfig/callrecords?siteId=${w.siteA}&SortBy=startTime%3Aasc&pageSize=2&page=1`);
      const last = (await get(`?siteId=${w.siteA}&pageSize=2&page=2`)).body;
      assert.equal(last.result.length, 1);
      assert.equal(last.nextPageUri, null);
      // a partner-wide view
      assert.equal((await get(`?siteId=${w.partner}&subAccounts=true`)).body.total, 6);
    });

    test('bad filters answer 400 naming the field', async () => {
      for (const [query, field] of [['?status=lost', 'status'], ['?startTime=yesterday', 'startTime'], ['?SortBy=price', 'SortBy'], ['?pageSize=0', 'pageSize'], ['?direction=sideways', 'direction']]) {
        const res = await get(query!);
        assert.equal(res.status, 400, `${query}: ${res.text}`);
        assert.equal(res.body.error, 'invalid parameter');
        assert.ok(res.body.message.startsWith(`${field}:`), res.body.message);
      }
    });

    test('records are the tenant\'s: a site\'s tenant credential reads its own, other partners and agents read none', async () => {
      const tenantA = (await w.server.runtime.core.tenants.find(w.siteA))!;
      const { authToken } = await w.server.runtime.core.tenants.addAuthToken({ tenantId: tenantA.id, tenantSid: tenantA.sid, tenantPath: tenantA.path, accountId: null, role: 'tenant', via: 'basic' }, w.siteA);
      const own = await call(`${w.server.url}/voiceconfig/callrecords`, { headers: basic(tenantA.sid, authToken) });
      assert.equal(own.status, 200, own.text);
      assert.equal(own.body.total, 5);
      assert.equal((await get(`?siteId=${w.siteA}`, w.superQ.headers)).status, 403);
      assert.equal((await get('', w.agentA1.headers)).status, 403);
      const one = (await get(`?siteId=${w.siteB}`, w.admin)).body.result[0];
      assert.equal((await w.api('GET', one.uri, w.admin)).status, 200);
      assert.equal((await w.api('GET', one.uri, w.superQ.headers)).status, 404);
      assert.equal((await w.api('GET', `/voiceconfig/callrecords/${callSid()}`, w.admin)).status, 404);
    });
  });
}
