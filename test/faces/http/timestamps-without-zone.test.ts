/**
 * A date-time without a zone (2026-12-06T04:00:00, valid ISO 8601) is read as UTC on every face that
 * takes one (issue 27): Flexisip statistics and confirmation_key_expires, the admin API's key expiry,
 * Comm100's audit range, Smart 2FA's search range.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type TestServer, apiKey, basic, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type World, createAccount, world } from '../flexisip/world.js';

const laterYear = new Date().getUTCFullYear() + 2;
const ZONELESS = `${laterYear}-12-06T04:00:00`;
const AS_UTC = Date.UTC(laterYear, 11, 6, 4, 0, 0);

for (const dialect of DIALECTS) {
  describe(`timestamps without a zone are UTC on every face (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let w: World;
    before(async () => {
      server = await startTestServer(dialect);
      w = await world(server);
    });
    after(() => server.close());
    const api = (path: string, method: string, json: unknown) => call(`${w.url}/api${path}`, { method, headers: w.admin, json });

    test('Flexisip statistics: sent_at, initiated_at, rang_at and ended_at without a zone are accepted as UTC', async () => {
      const sender = await createAccount(w);
      const from = `${sender.username}@${w.domain}`;
      assert.equal((await api('/statistics/messages', 'POST', { id: 'tz-m', from, sent_at: ZONELESS, encrypted: false })).status, 200);
      assert.equal((await api('/statistics/calls', 'POST', { id: 'tz-c', from, to: `bob@${w.domain}`, initiated_at: ZONELESS })).status, 200);
      assert.equal((await api('/statistics/calls/tz-c/devices/d1', 'PATCH', { rang_at: ZONELESS })).status, 201);
      const ended = await api('/statistics/calls/tz-c', 'PATCH', { ended_at: ZONELESS });
      assert.equal(ended.status, 200, ended.text);
      assert.equal(ended.body.initiated_at, new Date(AS_UTC).toISOString());
      assert.equal(ended.body.ended_at, new Date(AS_UTC).toISOString());
    });

    test('Flexisip confirmation_key_expires: upstream\'s "Y-m-d H:i:s" and ISO 8601 without a zone are both UTC', async () => {
      for (const value of [`${laterYear}-12-06 04:00:00`, ZONELESS]) {
        const res = await api('/accounts', 'POST', { username: `tz${Date.now().toString(36)}${value.length}`, password: 'secret-pw', algorithm: 'SHA-256', domain: w.domain, confirmation_key_expires: value });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.confirmation_key_expires, `${laterYear}-12-06 04:00:00`);
      }
    });

    test('admin API: an API key\'s expiresAt without a zone is UTC', async () => {
      const user = await createAccount(w);
      const res = await call(`${w.url}/admin/accounts/${user.id}/api-keys`, { headers: w.admin, json: { expiresAt: ZONELESS } });
      assert.equal(res.status, 201, res.text);
      const row = await server.runtime.storage.db.selectFrom('api_keys').select('expires_at').where('key_hash', '=', createHash('sha256').update(res.body.apiKey).digest('hex')).executeTakeFirstOrThrow();
      assert.equal(Number(row.expires_at), AS_UTC);
      const bad = await call(`${w.url}/admin/accounts/${user.id}/api-keys`, { headers: w.admin, json: { expiresAt: 'tomorrow' } });
      assert.equal(bad.status, 400);
    });

    test('Comm100 audit range and Smart 2FA search range: since/until and startTime/endTime without a zone', async () => {
      const audit = await call(`${w.url}/global/auditEvents?since=2026-01-01T00:00:00&until=${ZONELESS}`, { headers: apiKey(server.admin.apiKey) });
      assert.equal(audit.status, 200, audit.text);
      const search = await call(`${w.url}/2fa/sdr/search?startTime=2026-01-01T00:00:00&endTime=${ZONELESS}`, { headers: basic(w.tenant.sid, w.tenant.authToken) });
      assert.equal(search.status, 200, search.text);
    });
  });
}
