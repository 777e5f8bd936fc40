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
    /** Runs warm → change → next request, and checks the whole ran inside one cache lifetime. */
    async function withinOneLifetime(run: () => Promise<void>) {
      const started = Date.now();
      await run();
      const took = Date.now() - started;
      assert.ok(took < FRESH_MS, `the case took ${took} ms, not under ${FRESH_MS} ms: it proved nothing about invalidation`);
    }

    test('a revoked API key', async () => {
      const agent = await newAgentKey();
      await withinOneLifetime(async () => {
        assert.equal((await call(own(), { headers: apiKey(agent.apiKey) })).status, 200);
        assert.equal((await call(url(`/admin/api-keys/${agent.keyId}`), { method: 'DELETE', headers: admin })).status, 204);
        assert.equal((await call(own(), { headers: apiKey(agent.apiKey) })).status, 401);
      });
    });

    test('a revoked tenant auth token', async () => {
      const token = (await call(url(`/admin/tenants/${tenant.id}/auth-tokens`), { method: 'POST', headers: admin })).body;
      assert.ok(token.authToken);
      await withinOneLifetime(async () => {
        assert.equal((await call(own(), { headers: basic(tenant.sid, token.authToken) })).status, 200);
        assert.equal((await call(url(`/admin/tenants/${tenant.id}/auth-tokens/${token.id}`), { method: 'DELETE', headers: admin })).status, 204);
        assert.equal((await call(own(), { headers: basic(tenant.sid, token.authToken) })).status, 401);
      });
      assert.equal((await call(own(), { headers: basic(tenant.sid, tenant.authToken) })).status, 200, 'the tenant\'s other token still works');
    });

    test('a blocked account, and the same account unblocked', async () => {
      const agent = await newAgentKey();
      await withinOneLifetime(async () => {
        assert.equal((await call(own(), { headers: apiKey(agent.apiKey) })).status, 200);
        assert.equal((await call(url(`/admin/accounts/${agent.accountId}`), { method: 'PATCH', headers: admin, json: { blocked: true } })).status, 200);
        assert.equal((await call(own(), { headers: apiKey(agent.apiKey) })).status, 403);
        assert.equal((await call(url(`/admin/accounts/${agent.accountId}`), { method: 'PATCH', headers: admin, json: { blocked: false } })).status, 200);
        assert.equal((await call(own(), { headers: apiKey(agent.apiKey) })).status, 200);
      });
    });

    test('a country allow list set after a send', async () => {
      const headers = basic(tenant.sid, tenant.authToken);
      const send = (to: string) => call(url('/2fa/send'), { headers, json: { service: '2FA', from: '+15550000000', to, body: 'Your code is {code}' } });
      await withinOneLifetime(async () => {
        assert.equal((await send('+447700900123')).status, 200);
        assert.equal((await call(url('/2fa/settings/countries'), { method: 'PUT', headers, json: { allowedCallingCodes: ['1'] } })).status, 200);
        const refused = await send('+447700900124');
        assert.equal(refused.status, 403);
        assert.equal(refused.body.code, 454);
      });
    });
  });
}
