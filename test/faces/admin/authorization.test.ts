/**
 * Issue 10, items 1 and 3: nobody acts on an account above their own role; an agent lists only
 * itself; a credential mints only credentials that expire no later than itself; a password change
 * or a 2FA reset ends the account's JWTs and sessions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, basic, bearer, call, startTestServer } from '../../helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`authorization of account changes on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let adminId: number;
    let tenant: { id: number; sid: string; authToken: string };
    let agent: { id: number };
    let superagent: { id: number };
    let superKey: string;
    let agentKey: string;
    const url = (path: string) => `${server.url}${path}`;
    const admin = () => apiKey(server.admin.apiKey);
    const bootstrapTenant = () => basic(server.admin.tenant.sid, server.admin.tenant.authToken);

    before(async () => {
      server = await startTestServer(dialect);
      adminId = (await server.runtime.core.credentials.authenticateApiKey(server.admin.apiKey)).accountId!;
      tenant = (await call(url('/admin/tenants'), { headers: admin(), json: { name: 'site' } })).body;
      const made = (email: string, role: string) =>
        call(url('/admin/accounts'), { headers: admin(), json: { tenant: tenant.sid, email, password: 'the first password', role, phone: '+14155550100' } });
      agent = (await made('agent@site.test', 'agent')).body;
      await made('colleague@site.test', 'agent');
      superagent = (await made('super@site.test', 'superagent')).body;
      agentKey = (await call(url(`/admin/accounts/${agent.id}/api-keys`), { headers: admin(), json: {} })).body.apiKey;
      superKey = (await call(url(`/admin/accounts/${superagent.id}/api-keys`), { headers: admin(), json: {} })).body.apiKey;
    });
    after(() => server.close());

    test('the bootstrap tenant\'s Basic credentials cannot mint a key or a JWT for, or change, the bootstrap admin', async () => {
      const key = await call(url(`/admin/accounts/${adminId}/api-keys`), { headers: bootstrapTenant(), json: {} });
      assert.equal(key.status, 403, key.text);
      const jwt = await call(url(`/admin/accounts/${adminId}/jwt`), { method: 'POST', headers: bootstrapTenant() });
      assert.equal(jwt.status, 403, jwt.text);
      const password = await call(url(`/admin/accounts/${adminId}`), { method: 'PATCH', headers: bootstrapTenant(), json: { password: 'taken over now' } });
      assert.equal(password.status, 403, password.text);
      const admins = await call(url('/admin/accounts'), { headers: bootstrapTenant(), json: { tenant: server.admin.tenant.sid, email: 'second@admin.test', role: 'admin' } });
      assert.equal(admins.status, 403, 'nor create an admin');
      const adminKey = (await call(url(`/admin/accounts/${adminId}/api-keys`), { headers: admin(), json: { name: 'second' } })).body;
      assert.equal((await call(url(`/admin/api-keys/${adminKey.id}`), { method: 'DELETE', headers: bootstrapTenant() })).status, 403, 'nor revoke its keys');
      assert.equal((await call(url(`/admin/accounts?tenant=${server.admin.tenant.id}`), { headers: bootstrapTenant() })).body.accounts.length, 0, 'nor list it');
      assert.equal((await call(url(`/admin/accounts/${adminId}`), { headers: bootstrapTenant() })).status, 403, 'nor read it');
      // The admin itself still can.
      assert.equal((await call(url(`/admin/accounts/${adminId}/jwt`), { method: 'POST', headers: admin() })).status, 200);
    });

    test('a tenant\'s credentials still manage the agents of their tree', async () => {
      const jwt = await call(url(`/admin/accounts/${agent.id}/jwt`), { method: 'POST', headers: basic(tenant.sid, tenant.authToken) });
      assert.equal(jwt.status, 200);
    });

    test('a super agent mints credentials for itself only', async () => {
      assert.equal((await call(url(`/admin/accounts/${superagent.id}/jwt`), { method: 'POST', headers: apiKey(superKey) })).status, 200);
      assert.equal((await call(url(`/admin/accounts/${agent.id}/jwt`), { method: 'POST', headers: apiKey(superKey) })).status, 403);
      assert.equal((await call(url(`/admin/accounts/${agent.id}/api-keys`), { headers: apiKey(superKey), json: {} })).status, 403);
    });

    test('an agent listing its site\'s accounts sees only itself; a super agent sees everyone of the site', async () => {
      const mine = await call(url(`/admin/accounts?tenant=${tenant.id}`), { headers: apiKey(agentKey) });
      assert.equal(mine.status, 200);
      assert.deepEqual(mine.body.accounts.map((a: { id: number }) => a.id), [agent.id]);
      const all = await call(url(`/admin/accounts?tenant=${tenant.id}`), { headers: apiKey(superKey) });
      assert.equal(all.body.accounts.length, 3);
      const colleague = all.body.accounts.find((a: { email: string }) => a.email === 'colleague@site.test');
      assert.equal((await call(url(`/admin/accounts/${colleague.id}`), { headers: apiKey(agentKey) })).status, 403);
    });

    test('a 1-hour JWT cannot mint an API key that never expires, or outlives it, nor a JWT longer than itself', async () => {
      const issued = (await call(url(`/admin/accounts/${agent.id}/jwt`), { method: 'POST', headers: admin() })).body;
      const jwtExpiry = Date.parse(issued.expiresAt);
      const forever = await call(url(`/admin/accounts/${agent.id}/api-keys`), { headers: bearer(issued.token), json: {} });
      assert.equal(forever.status, 400, forever.text);
      assert.equal(forever.body.error.field, 'expiresAt');
      const longer = await call(url(`/admin/accounts/${agent.id}/api-keys`), { headers: bearer(issued.token), json: { expiresAt: new Date(jwtExpiry + 86_400_000).toISOString() } });
      assert.equal(longer.status, 400);
      const within = await call(url(`/admin/accounts/${agent.id}/api-keys`), { headers: bearer(issued.token), json: { expiresAt: new Date(jwtExpiry - 60_000).toISOString() } });
      assert.equal(within.status, 201);
      const next = await call(url(`/admin/accounts/${agent.id}/jwt`), { method: 'POST', headers: bearer(issued.token) });
      assert.equal(next.status, 200);
      assert.ok(Date.parse(next.body.expiresAt) <= jwtExpiry, 'a JWT minted by a JWT expires no later than it');
      // A short-lived key's JWT expires with the key.
      const shortKey = (await call(url(`/admin/accounts/${agent.id}/api-keys`), { headers: admin(), json: { expiresAt: new Date(Date.now() + 120_000).toISOString() } })).body.apiKey;
      const fromKey = (await call(url(`/admin/accounts/${agent.id}/jwt`), { method: 'POST', headers: apiKey(shortKey) })).body;
      assert.ok(Date.parse(fromKey.expiresAt) <= Date.now() + 120_000);
    });

    test('an expiring credential cannot mint a tenant auth token, which never expires', async () => {
      const jwt = (await call(url(`/admin/accounts/${adminId}/jwt`), { method: 'POST', headers: admin() })).body.token;
      assert.equal((await call(url(`/admin/tenants/${tenant.id}/auth-tokens`), { method: 'POST', headers: bearer(jwt) })).status, 403);
      assert.equal((await call(url(`/admin/tenants/${tenant.id}/auth-tokens`), { method: 'POST', headers: admin() })).status, 201);
    });

    test('a password change revokes the account\'s JWTs; a JWT issued afterwards works', async () => {
      const before = (await call(url(`/admin/accounts/${agent.id}/jwt`), { method: 'POST', headers: admin() })).body.token;
      const own = url(`/admin/accounts/${agent.id}`);
      assert.equal((await call(own, { headers: bearer(before) })).status, 200);
      assert.equal((await call(own, { method: 'PATCH', headers: admin(), json: { password: 'the second password' } })).status, 200);
      const refused = await call(own, { headers: bearer(before) });
      assert.equal(refused.status, 401);
      assert.match(refused.body.error.message, /revoked/);
      const after = (await call(url(`/admin/accounts/${agent.id}/jwt`), { method: 'POST', headers: admin() })).body.token;
      assert.equal((await call(own, { headers: bearer(after) })).status, 200);
      assert.equal((await call(own, { headers: apiKey(agentKey) })).status, 200, 'API keys are revoked one by one, not by a password change');
    });

    test('a password change also ends the account\'s trusted devices and logins in progress', async () => {
      const core = server.runtime.core;
      const device = await core.trustedDevices.issue({ id: agent.id, tenantId: tenant.id }, null, null);
      const pre = await core.login.issuePreLoginToken({ id: agent.id, tenantId: tenant.id, parentId: null, role: 'agent' }, 'verify', false, null);
      assert.notEqual(await core.trustedDevices.trustedUntil(agent.id, device.token), null);
      await call(url(`/admin/accounts/${agent.id}`), { method: 'PATCH', headers: admin(), json: { password: 'the third password' } });
      assert.equal(await core.trustedDevices.trustedUntil(agent.id, device.token), null);
      const end = await call(url('/global/endlogin'), { json: { preLoginToken: pre, code: '123456' } });
      assert.equal(end.status, 401, end.text);
    });
  });
}
