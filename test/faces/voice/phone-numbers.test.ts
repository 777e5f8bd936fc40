// GET /voiceconfig/phonenumbers: Twilio's IncomingPhoneNumbers through TWILIO_BASE_URL, paged, cached briefly.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type VoiceWorld, randomE164, startVoiceWorld } from './voice-world.js';

for (const dialect of DIALECTS) {
  describe(`/voiceconfig/phonenumbers on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: VoiceWorld;
    before(async () => {
      w = await startVoiceWorld(dialect);
    });
    after(() => w.close());

    const numbersRequests = () => w.twilio.requests.filter((r) => r.path.endsWith('/IncomingPhoneNumbers.json'));

    test("the admin sees every number of the deployment's account across Twilio's pages, which line uses each, and to whom it is assigned", async () => {
      // more than one page of 1000
      const many = Array.from({ length: 1003 }, () => w.newNumber());
      const used = many[1001]!;
      await w.assign(used, w.siteA);
      const line = (await w.line(w.siteA, { name: 'Used', phoneNumber: used })).body;
      const res = await w.api('GET', '/voiceconfig/phonenumbers', w.admin);
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.length >= 1003);
      const entry = res.body.find((n: { phoneNumber: string }) => n.phoneNumber === used);
      assert.deepEqual({ ...entry, sid: undefined }, { sid: undefined, phoneNumber: used, friendlyName: used, capabilities: { voice: true, sms: true }, assignedSiteId: w.siteA, inUse: true, lineId: line.id, lineName: 'Used' });
      assert.match(entry.sid, /^PN[0-9a-f]{32}$/);
      const free = res.body.find((n: { phoneNumber: string }) => n.phoneNumber === many[0]);
      assert.equal(free.inUse, false);
      assert.equal(free.assignedSiteId, null);
      // cached: a second read within a minute does not ask Twilio again
      const asked = numbersRequests().length;
      assert.equal((await w.api('GET', '/voiceconfig/phonenumbers', w.admin)).status, 200);
      assert.equal(numbersRequests().length, asked);
      for (const r of numbersRequests()) assert.equal(r.method, 'GET');
    });

    test('a site sees the numbers assigned to it (or to its partner), never another\'s', async () => {
      const a = w.newNumber();
      const p = w.newNumber();
      const c = w.newNumber();
      await w.assign(a, w.siteA);
      await w.assign(p, w.partner);
      await w.assign(c, w.siteC);
      const seen = async (headers: Record<string, string>, query = '') => {
        const res = await w.api('GET', `/voiceconfig/phonenumbers${query}`, headers);
        assert.equal(res.status, 200, res.text);
        return res.body.map((n: { phoneNumber: string }) => n.phoneNumber) as string[];
      };
      const siteA = await seen(w.superP.headers, `?siteId=${w.siteA}`);
      assert.ok(siteA.includes(a) && siteA.includes(p) && !siteA.includes(c));
      const siteB = await seen(w.superP.headers, `?siteId=${w.siteB}`);
      assert.ok(!siteB.includes(a) && siteB.includes(p));
      const siteC = await seen(w.superQ.headers, `?siteId=${w.siteC}`);
      assert.ok(siteC.includes(c) && !siteC.includes(a));
      assert.equal((await w.api('GET', `/voiceconfig/phonenumbers?siteId=${w.siteA}`, w.superQ.headers)).status, 403);
      // agents do not list numbers; only an admin assigns
      assert.equal((await w.api('GET', '/voiceconfig/phonenumbers', w.agentA1.headers)).status, 403);
      assert.equal((await w.api('PUT', `/voiceconfig/phonenumbers/${encodeURIComponent(c)}`, w.superQ.headers, { siteId: w.siteC })).status, 403);
      // a number not in the account cannot be assigned
      assert.equal((await w.api('PUT', `/voiceconfig/phonenumbers/${encodeURIComponent(randomE164())}`, w.admin, { siteId: w.siteA })).status, 404);
      // a number a line of site A uses cannot move to site B
      assert.equal((await w.line(w.siteA, { name: 'A', phoneNumber: a })).status, 200);
      const move = await w.api('PUT', `/voiceconfig/phonenumbers/${encodeURIComponent(a)}`, w.admin, { siteId: w.siteB });
      assert.deepEqual([move.status, move.body.error], [400, 'conflict']);
    });

    test('a number a partner shares with its sites shows which line uses it only to the tenants that reach that line', async () => {
      const shared = w.newNumber();
      await w.assign(shared, w.partner);
      const line = (await w.line(w.siteA, { name: 'Site A support', phoneNumber: shared })).body;
      const entry = async (site: number) => {
        const res = await w.api('GET', `/voiceconfig/phonenumbers?siteId=${site}`, w.superP.headers);
        assert.equal(res.status, 200, res.text);
        return res.body.find((n: { phoneNumber: string }) => n.phoneNumber === shared);
      };
      assert.deepEqual([(await entry(w.siteA)).lineId, (await entry(w.siteA)).lineName], [line.id, 'Site A support']);
      assert.deepEqual([(await entry(w.partner)).lineId, (await entry(w.partner)).inUse], [line.id, true]);
      const sibling = await entry(w.siteB);
      assert.deepEqual([sibling.lineId, sibling.lineName, sibling.inUse], [null, null, true]);
    });

    test("a site with its own Twilio account sees that account's numbers", async () => {
      const sid = `AC${randomBytes(16).toString('hex')}`;
      const token = randomBytes(16).toString('hex');
      w.twilio.addAccount(sid, token);
      const own = w.newNumber(sid);
      assert.equal((await w.api('PUT', '/voiceconfig/twilioaccount', w.admin, { siteId: w.siteB, accountSid: sid, authToken: token })).status, 200);
      const res = await w.api('GET', `/voiceconfig/phonenumbers?siteId=${w.siteB}`, w.superP.headers);
      assert.deepEqual(res.body.map((n: { phoneNumber: string }) => n.phoneNumber), [own]);
      const last = numbersRequests().at(-1)!;
      assert.equal(last.path, `/2010-04-01/Accounts/${sid}/IncomingPhoneNumbers.json`);
      assert.equal(last.authorization, `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`);
      assert.equal((await w.line(w.siteB, { name: 'Own', phoneNumber: own })).status, 200);
      assert.equal((await w.api('DELETE', `/voiceconfig/twilioaccount?siteId=${w.siteB}`, w.admin)).status, 200);
    });

    test("Twilio's errors answer 502 twilio unavailable, without credentials", async () => {
      const sid = `AC${randomBytes(16).toString('hex')}`;
      const token = randomBytes(16).toString('hex');
      // the fake does not know this account: Twilio answers 401 20003
      assert.equal((await w.api('PUT', '/voiceconfig/twilioaccount', w.admin, { siteId: w.siteC, accountSid: sid, authToken: token })).status, 200);
      const res = await w.api('GET', `/voiceconfig/phonenumbers?siteId=${w.siteC}`, w.superQ.headers);
      assert.equal(res.status, 502);
      assert.equal(res.body.error, 'twilio unavailable');
      assert.match(res.body.message, /20003/);
      assert.ok(!res.text.includes(token));
      assert.equal((await w.api('DELETE', `/voiceconfig/twilioaccount?siteId=${w.siteC}`, w.admin)).status, 200);
    });
  });
}
