// Phone lines CRUD in the Comm100 envelope: validation naming the field, reach, one line per number.
import type { Caller } from '../../../src/core/callers.js';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type VoiceWorld, randomE164, startVoiceWorld } from './voice-world.js';

/** The deployment admin, as core sees it: sets the allow list the way PUT /2fa/settings/countries would. */
const OPERATOR = { tenantId: 1, tenantSid: '', tenantPath: '/', accountId: null, role: 'admin', via: 'api_key' } as const satisfies Caller;

for (const dialect of DIALECTS) {
  describe(`/voiceconfig/phonelines on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: VoiceWorld;
    before(async () => {
      w = await startVoiceWorld(dialect);
    });
    after(() => w.close());

    const siteNumber = async (site: number) => {
      const n = w.newNumber();
      await w.assign(n, site);
      return n;
    };

    test('a site admin (an agent who administers its site) answers a line as an agent does', async () => {
      const core = w.server.runtime.core;
      const siteadmin = await core.accounts.create(null, { tenant: w.siteA, email: `siteadmin${Date.now()}@example.com`, role: 'siteadmin', password: 'correct horse battery' });
      const res = await w.api('POST', '/voiceconfig/phonelines', w.superP.headers, { siteId: w.siteA, name: 'Admins', phoneNumber: await siteNumber(w.siteA), agentIds: [siteadmin.id] });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.agentIds, [siteadmin.id]);
    });

    test('create, read, update and delete a line', async () => {
      const number = await siteNumber(w.siteA);
      const created = await w.api('POST', '/voiceconfig/phonelines', w.superP.headers, {
        siteId: w.siteA, name: ' Support ', phoneNumber: number, agentIds: [w.agentA2.id, w.agentA1.id, w.agentA1.id, w.superP.id],
        greeting: { type: 'say', text: 'Hello', language: 'en-US', voice: 'woman' }, ringTimeout: 30,
        fallback: { type: 'voicemail', maxLength: 60 },
      });
      assert.equal(created.status, 200, created.text);
      const line = created.body;
      assert.equal(line.name, 'Support');
      assert.equal(line.siteId, w.siteA);
      assert.deepEqual(line.agentIds, [w.agentA1.id, w.agentA2.id, w.superP.id].sort((a, b) => a - b));
      assert.deepEqual(line.greeting, { type: 'say', text: 'Hello', language: 'en-US', voice: 'woman' });
      assert.deepEqual(line.fallback, { type: 'voicemail', text: null, language: null, voice: null, maxLength: 60 });
      assert.equal(line.ringTimeout, 30);

      const listed = await w.api('GET', `/voiceconfig/phonelines?siteId=${w.siteA}`, w.superP.headers);
      assert.ok(listed.body.some((l: { id: number }) => l.id === line.id));
      // an agent of the site reads its site's lines
      assert.ok((await w.api('GET', '/voiceconfig/phonelines', w.agentA1.headers)).body.some((l: { id: number }) => l.id === line.id));
      assert.equal((await w.api('GET', `/voiceconfig/phonelines/${line.id}`, w.agentA1.headers)).status, 200);

      const updated = await w.api('PUT', `/voiceconfig/phonelines/${line.id}`, w.superP.headers, { name: 'Support EU', agentIds: [w.agentA1.id], fallback: { type: 'message', text: 'Closed' } });
      assert.equal(updated.status, 200, updated.text);
      assert.equal(updated.body.name, 'Support EU');
      assert.deepEqual(updated.body.agentIds, [w.agentA1.id]);
      assert.equal(updated.body.fallback.type, 'message');
      assert.equal(updated.body.ringTimeout, 30, 'fields not given stay');
      assert.deepEqual(updated.body.greeting, line.greeting);

      const deleted = await w.api('DELETE', `/voiceconfig/phonelines/${line.id}`, w.superP.headers);
      assert.deepEqual([deleted.status, deleted.body], [200, { result: 'success' }]);
      const gone = await w.api('GET', `/voiceconfig/phonelines/${line.id}`, w.superP.headers);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.error, 'not found');
      // the number is free again
      assert.equal((await w.line(w.siteA, { name: 'Again', phoneNumber: number })).status, 200);
    });

    test('bad input answers 400 invalid parameter naming the field, and writes nothing', async () => {
      const number = await siteNumber(w.siteA);
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ phoneNumber: number }, 'name'],
        [{ name: 'x' }, 'phoneNumber'],
        [{ name: 'x', phoneNumber: '5551234' }, 'phoneNumber'],
        [{ name: 'x', phoneNumber: randomE164() }, 'phoneNumber'],
        [{ name: 'x', phoneNumber: number, ringTimeout: 2 }, 'ringTimeout'],
        [{ name: 'x', phoneNumber: number, ringTimeout: 'long' }, 'ringTimeout'],
        [{ name: 'x', phoneNumber: number, agentIds: [w.agentB.id] }, 'agentIds'],
        [{ name: 'x', phoneNumber: number, agentIds: [w.agentC.id] }, 'agentIds'],
        [{ name: 'x', phoneNumber: number, agentIds: ['seven'] }, 'agentIds.0'],
        [{ name: 'x', phoneNumber: number, greeting: { type: 'sing' } }, 'greeting.type'],
        [{ name: 'x', phoneNumber: number, greeting: { type: 'say' } }, 'greeting.text'],
        [{ name: 'x', phoneNumber: number, greeting: { type: 'say', text: 'hi', language: 'en US!' } }, 'greeting.language'],
        [{ name: 'x', phoneNumber: number, greeting: { type: 'say', text: 'hi', voice: '"><Dial>' } }, 'greeting.voice'],
        [{ name: 'x', phoneNumber: number, greeting: { type: 'play', url: 'javascript:alert(1)' } }, 'greeting.url'],
        [{ name: 'x', phoneNumber: number, fallback: { type: 'voicemail', maxLength: 0 } }, 'fallback.maxLength'],
        [{ name: 'x', phoneNumber: number, fallback: { type: 'forward' } }, 'fallback.number'],
        [{ name: 'x', phoneNumber: number, fallback: { type: 'message' } }, 'fallback.text'],
      ];
      for (const [body, field] of cases) {
        const res = await w.line(w.siteA, body);
        assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.text}`);
        assert.equal(res.body.error, 'invalid parameter', res.text);
        assert.ok(res.body.message.startsWith(`${field}:`), `${JSON.stringify(body)}: ${res.body.message}`);
      }
      const lines = await w.api('GET', `/voiceconfig/phonelines?siteId=${w.siteA}`, w.admin);
      assert.ok(!lines.body.some((l: { phoneNumber: string }) => l.phoneNumber === number));
      const malformed = await w.api('POST', '/voiceconfig/phonelines', { ...w.admin, 'content-type': 'application/json' }, undefined);
      assert.equal(malformed.status, 400);
      assert.ok(!w.server.logs.join('').includes('"level":50'), 'no error logged');
    });

    test('a partner\'s agent never rings on its site\'s line (out of the site\'s reach); the partner\'s super agent may', async () => {
      const partnerAgent = await w.newAgent(w.partner);
      const number = await siteNumber(w.siteA);
      const before = await w.api('GET', `/voiceconfig/phonelines?siteId=${w.siteA}`, w.admin);
      for (const headers of [w.superP.headers, w.admin]) {
        const res = await w.api('POST', '/voiceconfig/phonelines', headers, { siteId: w.siteA, name: 'x', phoneNumber: number, agentIds: [partnerAgent.id] });
        assert.equal(res.status, 400, res.text);
        assert.ok(res.body.message.startsWith('agentIds:'), res.text);
      }
      assert.deepEqual((await w.api('GET', `/voiceconfig/phonelines?siteId=${w.siteA}`, w.admin)).body, before.body);
      const line = (await w.line(w.siteA, { name: 'x', phoneNumber: number, agentIds: [w.superP.id] })).body;
      assert.deepEqual(line.agentIds, [w.superP.id]);
      const changed = await w.api('PUT', `/voiceconfig/phonelines/${line.id}`, w.superP.headers, { agentIds: [partnerAgent.id] });
      assert.equal(changed.status, 400, changed.text);
      assert.deepEqual((await w.api('GET', `/voiceconfig/phonelines/${line.id}`, w.admin)).body.agentIds, [w.superP.id]);
    });

    test('a number serves one line; a forward must pass the allow list', async () => {
      const number = await siteNumber(w.siteA);
      assert.equal((await w.line(w.siteA, { name: 'one', phoneNumber: number })).status, 200);
      const second = await w.line(w.siteA, { name: 'two', phoneNumber: number });
      assert.deepEqual([second.status, second.body.error], [400, 'conflict']);
      const other = await w.line(w.siteA, { name: 'two', phoneNumber: await siteNumber(w.siteA) });
      const moved = await w.api('PUT', `/voiceconfig/phonelines/${other.body.id}`, w.admin, { phoneNumber: number });
      assert.deepEqual([moved.status, moved.body.error], [400, 'conflict']);
      const partner = await w.server.runtime.core.tenants.find(w.partner);
      await w.server.runtime.core.settings.setAllowedCallingCodes(OPERATOR, partner!, ['1']);
      try {
        const uk = await w.line(w.siteA, { name: 'uk', phoneNumber: await siteNumber(w.siteA), fallback: { type: 'forward', number: '+447712345678' } });
        assert.equal(uk.status, 400);
        assert.match(uk.body.message, /^fallback\.number:/);
      } finally {
        await w.server.runtime.core.settings.setAllowedCallingCodes(OPERATOR, partner!, []);
      }
    });

    test("tenant isolation: another site's number, line or agent is out of reach", async () => {
      const numberB = await siteNumber(w.siteB);
      // site A cannot take site B's number
      const taken = await w.line(w.siteA, { name: 'steal', phoneNumber: numberB });
      assert.equal(taken.status, 400);
      assert.match(taken.body.message, /^phoneNumber:/);
      const lineB = (await w.line(w.siteB, { name: 'B', phoneNumber: numberB, agentIds: [w.agentB.id] })).body;
      // partner Q's super agent and site A's agent do not see it
      assert.equal((await w.api('GET', `/voiceconfig/phonelines/${lineB.id}`, w.superQ.headers)).status, 404);
      assert.equal((await w.api('GET', `/voiceconfig/phonelines/${lineB.id}`, w.agentA1.headers)).status, 404);
      assert.equal((await w.api('PUT', `/voiceconfig/phonelines/${lineB.id}`, w.superQ.headers, { name: 'mine' })).status, 404);
      assert.equal((await w.api('DELETE', `/voiceconfig/phonelines/${lineB.id}`, w.superQ.headers)).status, 404);
      assert.equal((await w.api('GET', `/voiceconfig/phonelines?siteId=${w.siteB}`, w.superQ.headers)).status, 403);
      // an agent manages no line, even of its own site
      assert.equal((await w.api('POST', '/voiceconfig/phonelines', w.agentB.headers, { name: 'x', phoneNumber: numberB })).status, 403);
      assert.equal((await w.api('DELETE', `/voiceconfig/phonelines/${lineB.id}`, w.agentB.headers)).status, 403);
      // an agent reads only its own site's lines
      assert.equal((await w.api('GET', `/voiceconfig/phonelines?siteId=${w.siteB}`, w.agentA1.headers)).status, 403);
    });
  });
}
