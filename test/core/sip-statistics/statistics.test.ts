import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Caller } from '../../../src/core/callers.js';
import type { Core } from '../../../src/core/core.js';
import { GatehouseError } from '../../../src/core/errors.js';
import { parseIso8601 } from '../../../src/core/iso8601.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';

const rejectsWith = (promise: Promise<unknown>, code: string, field?: string) =>
  assert.rejects(promise, (err) => err instanceof GatehouseError && err.code === code && (field === undefined || err.field === field));

describe('ISO 8601 times', () => {
  test('reads zones, fractions and refuses dates that do not exist', () => {
    assert.equal(parseIso8601('2024-03-27T10:00:00Z'), Date.UTC(2024, 2, 27, 10));
    assert.equal(parseIso8601('2024-03-27T12:00:00+02:00'), Date.UTC(2024, 2, 27, 10));
    assert.equal(parseIso8601('2024-03-27T05:30:00-0430'), Date.UTC(2024, 2, 27, 10));
    assert.equal(parseIso8601('2024-03-27T10:00:00.250Z'), Date.UTC(2024, 2, 27, 10) + 250);
    // Without a zone: UTC (issue 27), on every face.
    assert.equal(parseIso8601('2024-03-27T10:00:00'), Date.UTC(2024, 2, 27, 10));
    for (const bad of ['bad_date', '2024-02-30T00:00:00Z', '2024-03-27', '2024-03-27T24:00:00Z', 12]) {
      assert.equal(parseIso8601(bad), null, String(bad));
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`core.sipStatistics on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let core: Core;
    let admin: Caller;
    let otherAdmin: Caller;
    let senderId: number;
    const caller = (t: { id: number; sid: string; path: string }): Caller => ({ tenantId: t.id, tenantSid: t.sid, tenantPath: t.path, accountId: null, role: 'tenant', via: 'basic' });

    before(async () => {
      server = await startTestServer(dialect);
      core = server.runtime.core;
      const tenant = (await core.tenants.create(null, { name: 'Voice' })).tenant;
      const other = (await core.tenants.create(null, { name: 'Other' })).tenant;
      admin = caller(tenant);
      otherAdmin = caller(other);
      await core.tenants.addSipDomain(admin, tenant.id, 'sip.example.org');
      senderId = (await core.flexisip.adminCreate(admin, { username: 'sender', password: 'secret-password', algorithm: 'MD5', domain: 'sip.example.org' })).account.id;
    });
    after(() => server.close());

    test('a message is recorded once; its id again is a duplicate; bad fields name themselves', async () => {
      const s = core.sipStatistics;
      await s.recordMessage(admin, { id: 'm1', from: 'sender@sip.example.org', sent_at: '2026-01-10T10:00:00Z', encrypted: true });
      await rejectsWith(s.recordMessage(admin, { id: 'm1', from: 'x@y.org', sent_at: '2026-01-10T10:00:00Z', encrypted: false }), 'statistics_duplicate');
      await rejectsWith(s.recordMessage(admin, { id: 'm2', from: 'x@y.org', sent_at: 'bad_date', encrypted: false }), 'validation', 'sent_at');
      await rejectsWith(s.recordMessage(admin, { id: 'm2', from: 'nobody', sent_at: '2026-01-10T10:00:00Z', encrypted: false }), 'validation', 'from');
      await rejectsWith(s.recordMessage(admin, { id: 'm2', from: 'x@y.org', sent_at: '2026-01-10T10:00:00Z', encrypted: 'yes' }), 'validation', 'encrypted');
      await rejectsWith(s.recordMessage(admin, { from: 'x@y.org', sent_at: '2026-01-10T10:00:00Z', encrypted: false }), 'validation', 'id');
      await rejectsWith(s.recordMessage(admin, { id: 'x'.repeat(65), from: 'x@y.org', sent_at: '2026-01-10T10:00:00Z', encrypted: false }), 'validation', 'id');
      const row = await server.runtime.storage.db.selectFrom('sip_statistics_messages').selectAll().where('id', '=', 'm1').executeTakeFirstOrThrow();
      assert.equal(Number(row.from_account_id), senderId);
    });

    test('a device delivery is created, then updated; an unknown message is refused', async () => {
      const s = core.sipStatistics;
      await s.recordMessage(admin, { id: 'm3', from: 'sender@sip.example.org', sent_at: '2026-01-10T10:00:00Z', encrypted: false });
      assert.equal(await s.recordMessageDevice(admin, 'm3', 'bob@sip.example.org', 'dev1', { last_status: 200, received_at: '2026-01-10T10:00:01Z' }), true);
      assert.equal(await s.recordMessageDevice(admin, 'm3', 'bob@sip.example.org', 'dev1', { last_status: 201, received_at: '2026-01-10T10:00:02Z' }), false);
      assert.equal(await s.recordMessageDevice(admin, 'm3', 'carol@sip.example.org', 'dev2', { last_status: 200, received_at: '2026-01-10T10:00:02Z' }), true);
      await rejectsWith(s.recordMessageDevice(admin, 'nope', 'bob@sip.example.org', 'dev1', { last_status: 200, received_at: '2026-01-10T10:00:01Z' }), 'statistics_unknown_record');
      await rejectsWith(s.recordMessageDevice(otherAdmin, 'm3', 'bob@sip.example.org', 'dev1', { last_status: 200, received_at: '2026-01-10T10:00:01Z' }), 'statistics_unknown_record');
      await rejectsWith(s.recordMessageDevice(admin, 'm3', 'bob@sip.example.org', 'dev1', { last_status: '200', received_at: '2026-01-10T10:00:01Z' }), 'validation', 'last_status');
      const rows = await server.runtime.storage.db.selectFrom('sip_statistics_message_devices').selectAll().where('message_id', '=', 'm3').orderBy('to_username').execute();
      assert.deepEqual(rows.map((r) => [r.to_username, Number(r.last_status)]), [['bob', 201], ['carol', 200]]);
    });

    test('calls: recorded once, devices created then updated, invite_terminated needs both at and state, ended later', async () => {
      const s = core.sipStatistics;
      await s.recordCall(admin, { id: 'c1', from: 'sender@sip.example.org', to: 'bob@sip.example.org', initiated_at: '2026-01-11T08:00:00Z' });
      await rejectsWith(s.recordCall(admin, { id: 'c1', from: 'sender@sip.example.org', to: 'bob@sip.example.org', initiated_at: '2026-01-11T08:00:00Z' }), 'statistics_duplicate');
      await rejectsWith(s.recordCall(admin, { id: 'c2', from: 'sender@sip.example.org', initiated_at: '2026-01-11T08:00:00Z' }), 'validation', 'to');
      await rejectsWith(s.recordCall(admin, { id: 'c2', from: 'sender@sip.example.org', to: 'b@c.org', initiated_at: '2026-01-11T08:00:00Z', ended_at: 'later' }), 'validation', 'ended_at');
      assert.equal(await s.recordCallDevice(admin, 'c1', 'd1', { rang_at: '2026-01-11T08:00:01Z', invite_terminated: { at: '2026-01-11T08:00:05Z', state: 'accepted' } }), true);
      assert.equal(await s.recordCallDevice(admin, 'c1', 'd1', { rang_at: '2026-01-11T08:00:02Z', invite_terminated: { at: '2026-01-11T08:00:05Z', state: 'accepted' } }), false);
      await rejectsWith(s.recordCallDevice(admin, 'c1', 'd1', { invite_terminated: { state: 'declined' } }), 'validation', 'invite_terminated.at');
      await rejectsWith(s.recordCallDevice(admin, 'c1', 'd1', { invite_terminated: { at: '2026-01-11T08:00:05Z' } }), 'validation', 'invite_terminated.state');
      await rejectsWith(s.recordCallDevice(admin, 'nope', 'd1', { rang_at: '2026-01-11T08:00:01Z' }), 'statistics_unknown_record');
      const ended = await s.endCall(admin, 'c1', { ended_at: '2026-01-11T08:01:05Z' });
      assert.equal(Number(ended.ended_at), Date.UTC(2026, 0, 11, 8, 1, 5));
      await rejectsWith(s.endCall(admin, 'nope', { ended_at: '2026-01-11T08:01:05Z' }), 'not_found');
      await rejectsWith(s.endCall(admin, 'c1', {}), 'validation', 'ended_at');
      await rejectsWith(s.endCall(otherAdmin, 'c1', { ended_at: '2026-01-11T08:01:05Z' }), 'not_found');
    });

    test('the compiled figures count per domain and UTC day, only within the caller\'s reach', async () => {
      const s = core.sipStatistics;
      await s.recordMessage(admin, { id: 'f1', from: 'sender@sip.example.org', sent_at: '2026-02-01T23:59:59+00:00', encrypted: true });
      await s.recordMessage(admin, { id: 'f2', from: 'sender@sip.example.org', sent_at: '2026-02-02T00:30:00+01:00', encrypted: false });
      await s.recordMessage(admin, { id: 'f3', from: 'sender@sip.example.org', sent_at: '2026-02-02T10:00:00Z', encrypted: false });
      await s.recordMessageDevice(admin, 'f3', 'bob@sip.example.org', 'a', { last_status: 200, received_at: '2026-02-02T10:00:01Z' });
      await s.recordMessageDevice(admin, 'f3', 'bob@sip.example.org', 'b', { last_status: 200, received_at: '2026-02-02T10:00:03Z' });
      await s.recordMessageDevice(admin, 'f3', 'eve@elsewhere.org', 'c', { last_status: 488, received_at: '2026-02-02T10:00:03Z' });
      await s.recordCall(admin, { id: 'fc1', from: 'sender@sip.example.org', to: 'bob@sip.example.org', initiated_at: '2026-02-02T09:00:00Z' });
      await s.recordCallDevice(admin, 'fc1', 'a', { invite_terminated: { at: '2026-02-02T09:00:10Z', state: 'accepted' } });
      await s.recordCallDevice(admin, 'fc1', 'b', { invite_terminated: { at: '2026-02-02T09:00:10Z', state: 'canceled' } });
      await s.endCall(admin, 'fc1', { ended_at: '2026-02-02T09:02:10Z' });
      await s.recordCall(admin, { id: 'fc2', from: 'sender@sip.example.org', to: 'bob@sip.example.org', initiated_at: '2026-02-02T09:30:00Z' });
      await s.recordCallDevice(admin, 'fc2', 'a', { invite_terminated: { at: '2026-02-02T09:30:10Z', state: 'declined' } });

      const figures = await s.compiled(admin, { from: '2026-02-01', to: '2026-02-02' });
      assert.deepEqual(figures, [
        { date: '2026-02-01', domain: 'sip.example.org', messages: { sent: 2, received: 0, encrypted: 1 }, calls: { total: 0, answered: 0, duration: 0 } },
        { date: '2026-02-02', domain: 'sip.example.org', messages: { sent: 1, received: 1, encrypted: 0 }, calls: { total: 2, answered: 1, duration: 120 } },
      ]);
      assert.deepEqual(await s.compiled(otherAdmin, { from: '2026-02-01', to: '2026-02-02' }), []);
      assert.deepEqual(await s.compiled(admin, { from: '2026-02-01', to: '2026-02-02', domain: 'elsewhere.org' }), []);
      await rejectsWith(s.compiled(admin, { from: '2026-02-31' }), 'validation', 'from');
      await rejectsWith(s.compiled(admin, { from: '2026-02-02', to: '2026-02-01' }), 'validation', 'to');
      await rejectsWith(s.compiled(admin, { from: '2024-01-01', to: '2026-02-01' }), 'validation', 'to');
    });

    test('deleting the sending account deletes its statistics', async () => {
      const s = core.sipStatistics;
      await s.recordMessage(admin, { id: 'gone', from: 'sender@sip.example.org', sent_at: '2026-01-10T10:00:00Z', encrypted: false });
      await s.recordCall(admin, { id: 'gone-call', from: 'sender@sip.example.org', to: 'bob@sip.example.org', initiated_at: '2026-01-10T10:00:00Z' });
      await server.runtime.storage.db.deleteFrom('accounts').where('id', '=', senderId).execute();
      const db = server.runtime.storage.db;
      assert.equal(await db.selectFrom('sip_statistics_messages').select('id').where('id', '=', 'gone').executeTakeFirst(), undefined);
      assert.equal(await db.selectFrom('sip_statistics_calls').select('id').where('id', '=', 'gone-call').executeTakeFirst(), undefined);
    });
  });
}
