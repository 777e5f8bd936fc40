import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type World, apiKeyOf, createAccount, uniqueName, world } from './world.js';

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

for (const dialect of DIALECTS) {
  describe(`Flexisip statistics (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    const api = (path: string, init: { method?: string; json?: unknown; headers?: Record<string, string> } = {}) =>
      call(`${w.url}/api${path}`, { method: init.method, json: init.json, headers: { ...JSON_HEADERS, ...(init.headers ?? w.admin) } });
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());

    test('messages: 200, a repeated id 400, a bad date 422 naming sent_at; a device 201 then 200, an unknown message 400', async () => {
      const sender = await createAccount(w);
      const from = `${sender.username}@${w.domain}`;
      assert.deepEqual((await api('/statistics/messages', { json: { id: 'msg-1', from, sent_at: '2026-03-01T10:00:00+00:00', encrypted: false } })).status, 200);
      assert.equal((await api('/statistics/messages', { json: { id: 'msg-1', from: 'x@y.org', sent_at: '2026-03-01T10:00:00Z', encrypted: false } })).status, 400);
      const bad = await api('/statistics/messages', { json: { id: 'msg-2', from, sent_at: 'bad_date', encrypted: false } });
      assert.deepEqual([bad.status, Object.keys(bad.body.errors)], [422, ['sent_at']]);
      assert.equal((await api('/statistics/messages', { json: { id: 'msg-2', from, sent_at: '2026-03-01T10:00:00Z' } })).body.errors.encrypted.length, 1);
      const device = `/statistics/messages/msg-1/to/bob@${w.domain}/devices/dev-1`;
      assert.equal((await api(device, { method: 'PATCH', json: { last_status: 200, received_at: '2026-03-01T10:00:01Z' } })).status, 201);
      assert.equal((await api(device, { method: 'PATCH', json: { last_status: 201, received_at: '2026-03-01T10:00:02Z' } })).status, 200);
      assert.equal((await api(`/statistics/messages/msg-1/to/carol@${w.domain}/devices/dev-2`, { method: 'PATCH', json: { last_status: 200, received_at: '2026-03-01T10:00:02Z' } })).status, 201);
      assert.equal((await api(`/statistics/messages/nope/to/bob@${w.domain}/devices/dev-1`, { method: 'PATCH', json: { last_status: 200, received_at: '2026-03-01T10:00:01Z' } })).status, 400);
      assert.equal((await api(device, { method: 'PATCH', json: { received_at: '2026-03-01T10:00:01Z' } })).status, 422);
    });

    test('calls: 200, repeated 400; devices 201, 200, invite_terminated without at 422; end 200, unknown 404, no ended_at 422', async () => {
      const caller = await createAccount(w);
      const call1 = { id: 'call-1', from: `${caller.username}@${w.domain}`, to: `bob@${w.domain}`, initiated_at: '2026-03-02T08:00:00Z' };
      assert.equal((await api('/statistics/calls', { json: call1 })).status, 200);
      assert.equal((await api('/statistics/calls', { json: call1 })).status, 400);
      assert.equal((await api('/statistics/calls', { json: { ...call1, id: 'call-x', to: undefined } })).status, 422);
      const device = '/statistics/calls/call-1/devices/dev-1';
      assert.equal((await api(device, { method: 'PATCH', json: { rang_at: '2026-03-02T08:00:01Z', invite_terminated: { at: '2026-03-02T08:00:04Z', state: 'accepted' } } })).status, 201);
      assert.equal((await api(device, { method: 'PATCH', json: { rang_at: '2026-03-02T08:00:02Z', invite_terminated: { at: '2026-03-02T08:00:04Z', state: 'accepted' } } })).status, 200);
      const incomplete = await api(device, { method: 'PATCH', json: { invite_terminated: { state: 'declined' } } });
      assert.deepEqual([incomplete.status, Object.keys(incomplete.body.errors)], [422, ['invite_terminated.at']]);
      assert.equal((await api('/statistics/calls/nope/devices/dev-1', { method: 'PATCH', json: { rang_at: '2026-03-02T08:00:01Z' } })).status, 400);
      const ended = await api('/statistics/calls/call-1', { method: 'PATCH', json: { ended_at: '2026-03-02T08:01:04Z' } });
      assert.equal(ended.status, 200);
      assert.deepEqual(ended.body, { id: 'call-1', from: call1.from, to: call1.to, initiated_at: '2026-03-02T08:00:00.000Z', ended_at: '2026-03-02T08:01:04.000Z', conference_id: null });
      assert.equal((await api('/statistics/calls/nope', { method: 'PATCH', json: { ended_at: '2026-03-02T08:01:04Z' } })).status, 404);
      assert.equal((await api('/statistics/calls/call-1', { method: 'PATCH', json: {} })).status, 422);
    });

    test('a Flexisip admin sees and adds to its own domain\'s statistics only, not those of its tenant\'s other domain', async () => {
      const second = `${uniqueName('d2')}.sip.example.org`;
      assert.equal((await call(`${w.url}/admin/tenants/${w.tenant.id}/sip-domains`, { headers: w.admin, json: { domain: second } })).status, 201);
      const sipAdmin = await apiKeyOf(w, await createAccount(w, { admin: true }));
      const at = new Date().toISOString();
      const [elsewhere, inbound] = [uniqueName('c'), uniqueName('c')];
      assert.equal((await api('/statistics/calls', { json: { id: elsewhere, from: `sip:u@${second}`, to: `sip:v@${second}`, initiated_at: at } })).status, 200);
      assert.equal((await api('/statistics/calls', { json: { id: inbound, from: `sip:u@${second}`, to: `sip:v@${w.domain}`, initiated_at: at } })).status, 200);
      const message = uniqueName('m');
      assert.equal((await api('/statistics/messages', { json: { id: message, from: `sip:u@${second}`, sent_at: at, encrypted: false } })).status, 200);
      const as = { headers: sipAdmin };
      assert.equal((await api(`/statistics/calls/${elsewhere}`, { ...as, method: 'PATCH', json: { ended_at: at } })).status, 404);
      assert.equal((await api(`/statistics/calls/${elsewhere}/devices/d1`, { ...as, method: 'PATCH', json: { rang_at: at } })).status, 400);
      assert.equal((await api(`/statistics/messages/${message}/to/v@${second}/devices/d1`, { ...as, method: 'PATCH', json: { last_status: 200, received_at: at } })).status, 400);
      // A call or a message that reaches its own domain is its to record.
      assert.equal((await api(`/statistics/calls/${inbound}`, { ...as, method: 'PATCH', json: { ended_at: at } })).status, 200);
      assert.equal((await api(`/statistics/messages/${message}/to/v@${w.domain}/devices/d1`, { ...as, method: 'PATCH', json: { last_status: 200, received_at: at } })).status, 201);
      const domains = async (headers: Record<string, string>, query = '') => ((await api(`/statistics${query}`, { headers })).body as Array<{ domain: string }>).map((f) => f.domain);
      assert.ok(!(await domains(sipAdmin)).includes(second));
      assert.deepEqual(await domains(sipAdmin, `?domain=${second}`), []);
      assert.ok((await domains(sipAdmin)).includes(w.domain));
      assert.ok((await domains(w.admin, `?domain=${second}`)).includes(second), 'the tenant\'s admins still see it');
    });

    test('PATCH /statistics/calls/{call_id}/devices/{device_id} takes the page\'s flat at and state as the nested form; one 422 style (a sentence)', async () => {
      const caller = await createAccount(w);
      assert.equal((await api('/statistics/calls', { json: { id: 'flat-1', from: `${caller.username}@${w.domain}`, to: `bob@${w.domain}`, initiated_at: '2026-03-02T08:00:00Z' } })).status, 200);
      const device = '/statistics/calls/flat-1/devices/dev-1';
      assert.equal((await api(device, { method: 'PATCH', json: { rang_at: '2026-03-02T08:00:01Z', at: '2026-03-02T08:00:04Z', state: 'accepted' } })).status, 201);
      const row = await server.runtime.storage.db.selectFrom('sip_statistics_call_devices').selectAll().where('call_id', '=', 'flat-1').executeTakeFirstOrThrow();
      assert.equal(Number(row.invite_terminated_at), Date.parse('2026-03-02T08:00:04Z'));
      assert.equal(row.invite_terminated_state, 'accepted');
      const half = await api(device, { method: 'PATCH', json: { state: 'declined' } });
      assert.deepEqual([half.status, half.body], [422, { message: 'The at field is required when state is present.', errors: { at: ['The at field is required when state is present.'] } }]);
      const both = await api(device, { method: 'PATCH', json: { at: '2026-03-02T08:00:04Z', state: 'accepted', invite_terminated: { at: '2026-03-02T08:00:04Z', state: 'accepted' } } });
      assert.equal(both.status, 422);
      // A schema refusal reads as upstream's sentences too, never "field: fragment".
      const ended = await api('/statistics/calls/flat-1', { method: 'PATCH', json: {} });
      assert.deepEqual([ended.status, ended.body.message, ended.body.errors], [422, 'The ended at field is required.', { ended_at: ['The ended at field is required.'] }]);
    });

    test('GET /statistics compiles the figures per domain and day; a user gets 403; a bad range 422', async () => {
      const sender = await createAccount(w);
      const from = `${sender.username}@${w.domain}`;
      await api('/statistics/messages', { json: { id: 'fig-m1', from, sent_at: '2026-04-01T09:00:00Z', encrypted: true } });
      await api(`/statistics/messages/fig-m1/to/bob@${w.domain}/devices/a`, { method: 'PATCH', json: { last_status: 200, received_at: '2026-04-01T09:00:01Z' } });
      await api('/statistics/calls', { json: { id: 'fig-c1', from, to: `bob@${w.domain}`, initiated_at: '2026-04-01T10:00:00Z' } });
      await api('/statistics/calls/fig-c1/devices/a', { method: 'PATCH', json: { invite_terminated: { at: '2026-04-01T10:00:05Z', state: 'accepted' } } });
      await api('/statistics/calls/fig-c1', { method: 'PATCH', json: { ended_at: '2026-04-01T10:01:35Z' } });
      const figures = await api(`/statistics?from=2026-04-01&to=2026-04-01&domain=${w.domain}`);
      assert.equal(figures.status, 200);
      assert.deepEqual(figures.body, [{ date: '2026-04-01', domain: w.domain, messages: { sent: 1, received: 1, encrypted: 1 }, calls: { total: 1, answered: 1, duration: 90 } }]);
      assert.equal((await api('/statistics?from=2026-04-31')).status, 422);
      assert.equal((await api('/statistics', { headers: await apiKeyOf(w, sender) })).status, 403);
      assert.equal((await api('/statistics/messages', { headers: await apiKeyOf(w, sender), json: { id: 'u', from, sent_at: '2026-04-01T09:00:00Z', encrypted: true } })).status, 403);
    });
  });
}
