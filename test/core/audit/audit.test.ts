import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Caller } from '../../../src/core/callers.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, startTestServer } from '../../helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`audit trail (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let partner: { id: number; sid: string; path: string };
    let site: { id: number; sid: string; path: string };
    let other: { id: number; sid: string; path: string };
    let agent: number;
    let agent2: number;
    const callerFor = (t: { id: number; sid: string; path: string }, role: Caller['role'], accountId: number | null): Caller => ({
      tenantId: t.id,
      tenantSid: t.sid,
      tenantPath: t.path,
      accountId,
      role,
      via: 'jwt',
    });

    before(async () => {
      server = await startTestServer(dialect);
      const core = server.runtime.core;
      partner = (await core.tenants.create(null, { name: 'P' })).tenant;
      site = (await core.tenants.create(null, { name: 'S', parent: partner.id })).tenant;
      other = (await core.tenants.create(null, { name: 'Q' })).tenant;
      agent = (await core.accounts.create(null, { tenant: site.id, email: 'a@example.com' })).id;
      agent2 = (await core.accounts.create(null, { tenant: site.id, email: 'b@example.com' })).id;
      await core.audit.record({ tenantId: site.id, accountId: agent, event: 'verify_failure', clientAddress: '10.0.0.1', detail: { method: 'totp' } });
      await core.audit.record({ tenantId: site.id, accountId: agent2, event: 'lock', clientAddress: null });
      await core.audit.record({ tenantId: other.id, accountId: null, event: 'site_requirement_set', clientAddress: null });
    });
    after(() => server?.close());

    it('a partner reads its sites\' events, newest first, and not another partner\'s', async () => {
      const events = await server.runtime.core.audit.list(callerFor(partner, 'tenant', null));
      assert.deepEqual(events.map((e) => e.event), ['lock', 'verify_failure']);
      assert.equal(events[1]!.clientAddress, '10.0.0.1');
      assert.deepEqual(events[1]!.detail, { method: 'totp' });
      assert.equal(events[1]!.tenantId, site.id);
    });

    it('an agent reads only its own events', async () => {
      const events = await server.runtime.core.audit.list(callerFor(site, 'agent', agent));
      assert.deepEqual(events.map((e) => e.accountId), [agent]);
      await assert.rejects(server.runtime.core.audit.list(callerFor(site, 'agent', agent), { accountId: agent2 }), { code: 'forbidden' });
    });

    it('filters by event and pages by id', async () => {
      const admin = callerFor(partner, 'admin', null);
      assert.deepEqual((await server.runtime.core.audit.list(admin, { event: 'lock' })).map((e) => e.accountId), [agent2]);
      const first = await server.runtime.core.audit.list(admin, { limit: 1 });
      assert.equal(first[0]!.event, 'site_requirement_set');
      const next = await server.runtime.core.audit.list(admin, { limit: 1, before: first[0]!.id });
      assert.equal(next[0]!.event, 'lock');
    });

    it('refuses a detail that could carry a secret', async () => {
      await assert.rejects(
        server.runtime.core.audit.record({ tenantId: site.id, accountId: agent, event: 'setup', clientAddress: null, detail: { secretKey: 'x' } }),
        /may not carry/,
      );
    });

    it('a tenant outside the caller\'s reach is refused', async () => {
      await assert.rejects(server.runtime.core.audit.list(callerFor(partner, 'tenant', null), { tenant: other.id }), { code: 'forbidden' });
    });
  });
}
