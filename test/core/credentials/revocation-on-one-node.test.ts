/**
 * Credentials and the country allow list are read through a fresh cache (core/fresh-cache.ts). On
 * the process that made a change, the very next request must see it: each case warms the cache,
 * changes the row, and is refused at once — all inside FRESH_MS, so only the invalidation on write
 * (not the entry's age) can explain the refusal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FRESH_MS } from '../../../src/core/fresh-cache.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, basic, call, startTestServer } from '../../helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`revocations on one ${dialect} process are refused by the next request`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let admin: Record<string, string>;
    let tenant: { id: number; sid: string; authToken: string };
    let n = 0;

    before(async () => {
      server = await startTestServer(dialect, { env: { GATEHOUSE_OUTBOX: '1' } });
      admin = apiKey(server.admin.apiKey);
      tenant = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'acme' } })).body;
    });
    after(() => server.close());

    const url = (path: string) => `${server.url}${path}`;
    const own = () => url(`/admin/tenants/${tenant.id}`);
    const newAgentKey = async () => {
      const agent = (await call(url('/admin/accounts'), { headers: admin, json: { tenant: tenant.sid, email: `agent${++n}@acme.test`, password: 'agent password 1' } })).body;
      const key = (await call(url(`/admin/accounts/${agent.id}/api-keys`), { headers: admin, json: {} })).body;
      return { accountId: agent.id as number, keyId: key.id as number, apiKey: key.apiKey as string };
    };
    /**
     * Runs a case until its warm → change → next request ran inside one cache lifetime (a loaded
     * machine may stretch one try past it, which would prove nothing); each try answers how long that took.
     */
    async function inOneLifetime(attempt: () => Promise<number>) {
      const tries: number[] = [];
      while (tries.length < 5) {
        const took = await attempt();
        if (took < FRESH_MS) return;
        tries.push(took);
      }
      assert.fail(`every try took ${FRESH_MS} ms or more (${tries.join(', ')} ms): nothing was proved about invalidation`);
    }

    test('a revoked API key', async () => {
      await inOneLifetime(async () => {
        const agent = await newAgentKey();
        const t = Date.now();
        assert.equal((await call(own(), { headers: apiKey(agent.apiKey) })).status, 200);
        assert.equal((await call(url(`/admin/api-keys/${agent.keyId}`), { method: 'DELETE', headers: admin })).status, 204);
        assert.equal((await call(own(), { headers: apiKey(agent.apiKey) })).status, 401);
        return Date.now() - t;
      });
    });

    test('a revoked tenant auth token', async () => {
      await inOneLifetime(async () => {
        const token = (await call(url(`/admin/tenants/${tenant.id}/auth-tokens`), { method: 'POST', headers: admin })).body;
        assert.ok(token.authToken);
        const t = Date.now();
        assert.equal((await call(own(), { headers: basic(tenant.sid, token.authToken) })).status, 200);
        assert.equal((await call(url(`/admin/tenants/${tenant.id}/auth-tokens/${token.id}`), { method: 'DELETE', headers: admin })).status, 204);
        assert.equal((await call(own(), { headers: basic(tenant.sid, token.authToken) })).status, 401);
        return Date.now() - t;
      });
      assert.equal((await call(own(), { headers: basic(tenant.sid, tenant.authToken) })).status, 200, "the tenant's other token still works");
    });

    test('a blocked account, and the same account unblocked', async () => {
      await inOneLifetime(async () => {
        const agent = await newAgentKey();
        const flag = (blocked: boolean) => call(url(`/admin/accounts/${agent.accountId}`), { method: 'PATCH', headers: admin, json: { blocked } });
        const t = Date.now();
        assert.equal((await call(own(), { headers: apiKey(agent.apiKey) })).status, 200);
        assert.equal((await flag(true)).status, 200);
        assert.equal((await call(own(), { headers: apiKey(agent.apiKey) })).status, 403);
        const blocking = Date.now() - t;
        // The refusal above kept the blocked row: unblocking must replace it as promptly.
        const u = Date.now();
        assert.equal((await flag(false)).status, 200);
        assert.equal((await call(own(), { headers: apiKey(agent.apiKey) })).status, 200);
        return Math.max(blocking, Date.now() - u);
      });
    });

    test('a country allow list set after a send', async () => {
      await inOneLifetime(async () => {
        const site = (await call(url('/admin/tenants'), { headers: admin, json: { name: `lists ${++n}` } })).body;
        const headers = basic(site.sid, site.authToken);
        const send = (to: string) => call(url('/2fa/send'), { headers, json: { service: '2FA', from: '+14155550000', to, body: 'Your code is {code}' } });
        const t = Date.now();
        assert.equal((await send('+447712345678')).status, 200);
        assert.equal((await call(url('/2fa/settings/countries'), { method: 'PUT', headers, json: { allowedCallingCodes: ['1'] } })).status, 200);
        const refused = await send('+447712345679');
        assert.equal(refused.status, 403);
        assert.equal(refused.body.code, 454);
        return Date.now() - t;
      });
    });
  });
}
