/**
 * Port of upstream's tests/Feature/ApiStatisticsTest.php (flexisip-account-manager 75599dd). Upstream's
 * sender sits in domain.com; here in the admin's tenant's domain. Ids are unique across the deployment
 * (upstream's rule), so each test names its own instead of upstream's '1234'. Dates are in faker's
 * iso8601() shape (2019-03-14T10:22:09+0000).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer } from '../../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../../helpers/services.js';
import { type World, createAccount, uniqueName, world } from '../world.js';
import { adminMember } from './upstream-world.js';

const iso8601 = () => new Date(Date.UTC(2019, 2, 14, 10, 22, Math.floor(Math.random() * 60))).toISOString().slice(0, 19) + '+0000';
const email = () => `${uniqueName('mail')}@example.org`;

for (const dialect of DIALECTS) {
  describe(`upstream ApiStatisticsTest (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());
    const db = () => server.runtime.storage.db;

    test('testMessages', async () => {
      const admin = await adminMember(w);
      const api = (path: string, method: string, json: unknown) => call(`${w.url}/api/statistics/messages${path}`, { method, headers: admin.key, json });
      const id = uniqueName('msg');
      const account = await createAccount(w);
      assert.equal((await api('', 'POST', { id, from: `${account.username}@${account.domain}`, sent_at: iso8601(), encrypted: false })).status, 200);
      assert.ok(await db().selectFrom('sip_statistics_messages').select('id').where('id', '=', id).executeTakeFirst());
      assert.equal((await api('', 'POST', { id, from: email(), sent_at: iso8601(), encrypted: false })).status, 400);
      const bad = await api('', 'POST', { id, from: email(), sent_at: 'bad_date', encrypted: false });
      assert.ok(bad.body.errors?.sent_at, bad.text);
      // Patch the message with devices.
      const to = email();
      const device = randomUUID();
      assert.equal((await api(`/${id}/to/${to}/devices/${device}`, 'PATCH', { last_status: 200, received_at: iso8601() })).status, 201);
      assert.equal((await api(`/${id}/to/${to}/devices/${device}`, 'PATCH', { last_status: 201, received_at: iso8601() })).status, 200);
      const devices = () => db().selectFrom('sip_statistics_message_devices').select('last_status').where('message_id', '=', id).execute();
      assert.deepEqual((await devices()).map((d) => Number(d.last_status)), [201]);
      assert.equal((await api(`/${id}/to/${email()}/devices/${randomUUID()}`, 'PATCH', { last_status: 201, received_at: iso8601() })).status, 201);
      assert.equal((await devices()).length, 2);
      // Deleting the sender deletes its messages.
      assert.equal((await call(`${w.url}/api/accounts/${account.id}`, { method: 'DELETE', headers: admin.key })).status, 200);
      assert.equal(await db().selectFrom('sip_statistics_messages').select('id').where('id', '=', id).executeTakeFirst(), undefined);
    });

    test('testCalls', async () => {
      const admin = await adminMember(w);
      const api = (path: string, method: string, json: unknown) => call(`${w.url}/api/statistics/calls${path}`, { method, headers: admin.key, json });
      const id = uniqueName('call');
      const account = await createAccount(w);
      const call1 = { id, from: `${account.username}@${account.domain}`, to: 'usernameto@domainto.com', initiated_at: iso8601() };
      assert.equal((await api('', 'POST', call1)).status, 200);
      assert.ok(await db().selectFrom('sip_statistics_calls').select('id').where('id', '=', id).executeTakeFirst());
      assert.equal((await api('', 'POST', { ...call1, initiated_at: iso8601() })).status, 400);
      const device = randomUUID();
      assert.equal((await api(`/${id}/devices/${device}`, 'PATCH', { rang_at: iso8601(), invite_terminated: { at: iso8601(), state: 'declined' } })).status, 201);
      assert.equal((await api(`/${id}/devices/${device}`, 'PATCH', { rang_at: iso8601(), invite_terminated: { at: iso8601(), state: 'declined' } })).status, 200);
      assert.equal((await api(`/${id}/devices/${device}`, 'PATCH', { invite_terminated: { state: 'declined' } })).status, 422);
      assert.equal((await api(`/${id}/devices/${device}`, 'PATCH', { rang_at: iso8601() })).status, 200);
      assert.equal((await db().selectFrom('sip_statistics_call_devices').select('device_id').where('call_id', '=', id).execute()).length, 1);
      assert.equal((await api(`/${id}`, 'PATCH', { ended_at: iso8601() })).status, 200);
      assert.equal((await call(`${w.url}/api/accounts/${account.id}`, { method: 'DELETE', headers: admin.key })).status, 200);
      assert.equal(await db().selectFrom('sip_statistics_calls').select('id').where('id', '=', id).executeTakeFirst(), undefined);
    });
  });
}
