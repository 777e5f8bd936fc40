/**
 * The admin API's credential inventory and ends of life (issue 25), on both dialects: keys and tokens
 * listed in reach without secrets, found by prefix and revoked (one, all of an owner's), "last used"
 * written once a minute off the request path, password resets that end sessions, account deletion
 * with SIP tombstones, and deleting only empty tenants.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { type TestServer, apiKey, basic, bearer, call, startTestServer } from '../../helpers/server.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

for (const dialect of DIALECTS) {
  describe(`credential inventory on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let admin: Record<string, string>;
    let partner: { id: number; sid: string; authToken: string };
    let site: { id: number; sid: string; authToken: string };
    let other: { id: number; sid: string; authToken: string };
    let agent: { id: number };
    let colleague: { id: number };
    let stranger: { id: number };
    const url = (path: string) => `${server.url}${path}`;
    const account = async (tenant: number, email: string, role = 'agent', extra: Record<string, unknown> = {}) => {
      const made = await call(url('/admin/accounts'), { headers: admin, json: { tenant: String(tenant), email, password: 'a long password', role, ...extra } });
      assert.equal(made.status, 201, made.text);
      return made.body as { id: number };
    };
    const newKey = async (accountId: number, by = admin, name = 'ci') => {
      const made = await call(url(`/admin/accounts/${accountId}/api-keys`), { headers: by, json: { name } });
      assert.equal(made.status, 201, made.text);
      return made.body as { id: number; apiKey: string };
    };

    before(async () => {
      server = await startTestServer(dialect);
      admin = apiKey(server.admin.apiKey);
      partner = (await call(url('/admin/tenants'), { headers: admin, json: { name: 'partner' } })).body;
      site = (await call(url('/admin/tenants'), { headers: basic(partner.sid, partner.authToken), json: { name: 'site' } })).body;
      other = (await call(url('/admin/tenants'), { headers: admin, json: { name: 'other partner' } })).body;
      agent = await account(site.id, 'agent@inv.test');
      colleague = await account(site.id, 'colleague@inv.test');
      stranger = await account(other.id, 'stranger@inv.test');
    });
    after(() => server.close());

    test('a leaked key is found in the list by its prefix, with owner, dates and creator, and no secret', async () => {
      const leaked = await newKey(agent.id);
      const list = await call(url('/admin/api-keys'), { headers: admin });
      assert.equal(list.status, 200, list.text);
      const row = list.body.apiKeys.find((k: { prefix: string }) => k.prefix === leaked.apiKey.slice(0, 12));
      assert.ok(row, 'found by its first 12 characters');
      assert.equal(row.id, leaked.id);
      assert.equal(row.owner, 'agent@inv.test');
      assert.equal(row.accountId, agent.id);
      assert.equal(row.tenantId, site.id);
      assert.match(row.createdAt, ISO);
      assert.equal(row.expiresAt, null);
      assert.equal(row.lastUsedAt, null);
      assert.equal(row.createdBy.kind, 'account');
      assert.match(row.createdBy.label, /^admin-/);
      assert.ok(!list.text.includes(leaked.apiKey), 'the secret is never shown again');
      assert.ok(!list.text.includes(server.admin.apiKey));
      assert.ok(!/key_hash|[0-9a-f]{64}/.test(list.text), 'no hash either');
      // Revoked, it is refused on the next request.
      assert.equal((await call(url(`/admin/tenants/${site.id}`), { headers: apiKey(leaked.apiKey) })).status, 200);
      assert.equal((await call(url(`/admin/api-keys/${leaked.id}`), { method: 'DELETE', headers: admin })).status, 204);
      assert.equal((await call(url(`/admin/tenants/${site.id}`), { headers: apiKey(leaked.apiKey) })).status, 401);
      const again = await call(url('/admin/api-keys'), { headers: admin });
      assert.ok(!again.body.apiKeys.some((k: { id: number }) => k.id === leaked.id));
    });

    test('"last used" is written once a minute per key, after the request, not by it', async () => {
      const key = await newKey(agent.id);
      const lastUsed = async () => (await call(url(`/admin/accounts/${agent.id}/api-keys`), { headers: admin })).body.apiKeys.find((k: { id: number }) => k.id === key.id).lastUsedAt as string | null;
      const before = Date.now();
      assert.equal((await call(url(`/admin/tenants/${site.id}`), { headers: apiKey(key.apiKey) })).status, 200);
      await server.runtime.core.credentials.lastUsed.flush();
      const first = await lastUsed();
      assert.ok(first && Date.parse(first) >= before - 5 && Date.parse(first) <= Date.now(), `${first}`);
      // Used again within the minute: nothing more is written.
      await new Promise((r) => setTimeout(r, 20));
      assert.equal((await call(url(`/admin/tenants/${site.id}`), { headers: apiKey(key.apiKey) })).status, 200);
      await server.runtime.core.credentials.lastUsed.flush();
      assert.equal(await lastUsed(), first);
    });

    test('an auth token\'s last use is recorded, and tokens are listed for the tenants in reach only', async () => {
      assert.equal((await call(url(`/admin/tenants/${site.id}`), { headers: basic(site.sid, site.authToken) })).status, 200);
      await server.runtime.core.credentials.lastUsed.flush();
      const byPartner = await call(url('/admin/auth-tokens'), { headers: basic(partner.sid, partner.authToken) });
      assert.equal(byPartner.status, 200, byPartner.text);
      const tenants = new Set(byPartner.body.authTokens.map((t: { tenantId: number }) => t.tenantId));
      assert.deepEqual([...tenants].sort(), [partner.id, site.id].sort(), 'its own and its site\'s, not another partner\'s');
      const siteToken = byPartner.body.authTokens.find((t: { tenantId: number }) => t.tenantId === site.id);
      assert.equal(siteToken.prefix, site.authToken.slice(0, 12));
      assert.match(siteToken.lastUsedAt, ISO);
      assert.equal(siteToken.createdBy.kind, 'tenant');
      assert.equal(siteToken.createdBy.label, 'tenant partner');
      assert.ok(!byPartner.text.includes(site.authToken));
      const one = await call(url(`/admin/tenants/${site.id}/auth-tokens`), { headers: admin });
      assert.deepEqual(one.body.authTokens.map((t: { id: number }) => t.id), [siteToken.id]);
      // Another partner's tokens are out of reach.
      assert.equal((await call(url(`/admin/tenants/${other.id}/auth-tokens`), { headers: basic(partner.sid, partner.authToken) })).status, 403);
      assert.equal((await call(url(`/admin/auth-tokens?tenant=${other.id}`), { headers: basic(partner.sid, partner.authToken) })).status, 403);
    });

    test('reach: an agent sees only its own keys; a tenant those of its tree; an admin all', async () => {
      const own = await newKey(agent.id);
      const theirs = await newKey(colleague.id);
      const far = await newKey(stranger.id);
      const ids = (r: { body: { apiKeys: Array<{ id: number }> } }) => r.body.apiKeys.map((k) => k.id);
      const byAgent = await call(url('/admin/api-keys'), { headers: apiKey(own.apiKey) });
      assert.equal(byAgent.status, 200, byAgent.text);
      assert.ok(ids(byAgent).includes(own.id));
      assert.ok(byAgent.body.apiKeys.every((k: { accountId: number }) => k.accountId === agent.id));
      assert.equal((await call(url(`/admin/accounts/${colleague.id}/api-keys`), { headers: apiKey(own.apiKey) })).status, 403);
      assert.equal((await call(url('/admin/auth-tokens'), { headers: apiKey(own.apiKey) })).status, 403);
      const byPartner = await call(url('/admin/api-keys'), { headers: basic(partner.sid, partner.authToken) });
      assert.ok(ids(byPartner).includes(theirs.id) && ids(byPartner).includes(own.id));
      assert.ok(!ids(byPartner).includes(far.id), 'not another partner\'s');
      assert.ok(!byPartner.body.apiKeys.some((k: { ownerRole: string }) => k.ownerRole === 'admin'), 'not an admin\'s key');
      const bySite = await call(url(`/admin/api-keys?tenant=${site.id}`), { headers: basic(partner.sid, partner.authToken) });
      assert.ok(bySite.body.apiKeys.every((k: { tenantId: number }) => k.tenantId === site.id));
      assert.equal((await call(url(`/admin/api-keys?tenant=${other.id}`), { headers: basic(partner.sid, partner.authToken) })).status, 403);
      assert.equal((await call(url(`/admin/accounts/${stranger.id}/api-keys`), { headers: basic(partner.sid, partner.authToken) })).status, 403);
      assert.ok(ids(await call(url('/admin/api-keys'), { headers: admin })).includes(far.id));
      // An agent may revoke its own keys, not a colleague's.
      assert.equal((await call(url(`/admin/accounts/${colleague.id}/api-keys`), { method: 'DELETE', headers: apiKey(own.apiKey) })).status, 403);
      assert.equal((await call(url(`/admin/tenants/${site.id}`), { headers: apiKey(theirs.apiKey) })).status, 200);
    });

    test('revoking all of an owner\'s keys or tokens refuses each of them on the next request', async () => {
      const person = await account(site.id, `revoked-${dialect}@inv.test`);
      const keys = [await newKey(person.id), await newKey(person.id)];
      const res = await call(url(`/admin/accounts/${person.id}/api-keys`), { method: 'DELETE', headers: basic(partner.sid, partner.authToken) });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { revoked: 2 });
      for (const k of keys) assert.equal((await call(url(`/admin/tenants/${site.id}`), { headers: apiKey(k.apiKey) })).status, 401);
      const child = (await call(url('/admin/tenants'), { headers: basic(partner.sid, partner.authToken), json: { name: 'tokens' } })).body;
      const second = (await call(url(`/admin/tenants/${child.id}/auth-tokens`), { method: 'POST', headers: admin })).body;
      assert.equal((await call(url(`/admin/tenants/${child.id}`), { headers: basic(child.sid, second.authToken) })).status, 200);
      const all = await call(url(`/admin/tenants/${child.id}/auth-tokens`), { method: 'DELETE', headers: basic(partner.sid, partner.authToken) });
      assert.deepEqual(all.body, { revoked: 2 });
      for (const token of [child.authToken, second.authToken]) assert.equal((await call(url(`/admin/tenants/${child.id}`), { headers: basic(child.sid, token) })).status, 401);
      assert.equal((await call(url(`/admin/tenants/${other.id}/auth-tokens`), { method: 'DELETE', headers: basic(partner.sid, partner.authToken) })).status, 403);
    });

    test('an admin\'s password reset sets the password and ends the account\'s JWTs', async () => {
      const person = await account(site.id, `reset-${dialect}@inv.test`);
      const jwt = (await call(url(`/admin/accounts/${person.id}/jwt`), { method: 'POST', headers: admin })).body.token;
      assert.equal((await call(url(`/admin/tenants/${site.id}`), { headers: bearer(jwt) })).status, 200);
      const short = await call(url(`/admin/accounts/${person.id}/password-reset`), { headers: admin, json: { password: 'short' } });
      assert.equal(short.status, 400);
      assert.equal(short.body.error.field, 'password');
      const own = await newKey(agent.id);
      assert.equal((await call(url(`/admin/accounts/${person.id}/password-reset`), { headers: apiKey(own.apiKey), json: { password: 'another long password' } })).status, 403);
      const reset = await call(url(`/admin/accounts/${person.id}/password-reset`), { headers: basic(partner.sid, partner.authToken), json: { password: 'another long password' } });
      assert.equal(reset.status, 200, reset.text);
      assert.equal(reset.body.id, person.id);
      assert.match(reset.body.createdAt, ISO);
      assert.ok(!reset.text.includes('another long password'));
      assert.equal((await call(url(`/admin/tenants/${site.id}`), { headers: bearer(jwt) })).status, 401);
      const row = await server.runtime.storage.db.selectFrom('accounts').select('password_hash').where('id', '=', person.id).executeTakeFirstOrThrow();
      const { verifyPassword } = await import('../../../src/core/accounts/passwords.js');
      assert.ok(await verifyPassword(row.password_hash, 'another long password'));
    });

    test('an account is deleted with its keys; a SIP username is never given again in its domain; nobody deletes itself', async () => {
      const person = await account(site.id, `gone-${dialect}@inv.test`);
      const key = await newKey(person.id);
      assert.equal((await call(url(`/admin/accounts/${person.id}`), { method: 'DELETE', headers: apiKey(key.apiKey) })).status, 403, 'an agent may not delete accounts, its own included');
      assert.equal((await call(url(`/admin/accounts/${person.id}`), { method: 'DELETE', headers: basic(partner.sid, partner.authToken) })).status, 204);
      assert.equal((await call(url(`/admin/accounts/${person.id}`), { headers: admin })).status, 404);
      assert.equal((await call(url(`/admin/tenants/${site.id}`), { headers: apiKey(key.apiKey) })).status, 401);
      assert.equal((await call(url(`/admin/accounts/${person.id}`), { method: 'DELETE', headers: admin })).status, 404);
      // SIP: the tombstone.
      const domain = `${dialect}.inv.test`;
      assert.equal((await call(url(`/admin/tenants/${site.id}/sip-domains`), { headers: admin, json: { domain } })).status, 201);
      const sip = await account(site.id, `sip-${dialect}@inv.test`, 'sip', { username: 'alice', domain });
      assert.equal((await call(url(`/admin/accounts/${sip.id}`), { method: 'DELETE', headers: admin })).status, 204);
      const again = await call(url('/admin/accounts'), { headers: admin, json: { tenant: String(site.id), username: 'alice', domain, role: 'sip', password: 'a long password' } });
      assert.equal(again.status, 409, again.text);
      assert.equal(again.body.error.field, 'username');
      // The admin's own account.
      const self = (await server.runtime.core.credentials.authenticateApiKey(server.admin.apiKey)).accountId!;
      const refused = await call(url(`/admin/accounts/${self}`), { method: 'DELETE', headers: admin });
      assert.equal(refused.status, 403);
      assert.match(refused.body.error.message, /cannot delete itself/);
      // Out of reach.
      assert.equal((await call(url(`/admin/accounts/${stranger.id}`), { method: 'DELETE', headers: basic(partner.sid, partner.authToken) })).status, 403);
    });

    test('only an empty tenant is deleted; one with accounts or sub-tenants is refused, saying what is left', async () => {
      const parent = (await call(url('/admin/tenants'), { headers: basic(partner.sid, partner.authToken), json: { name: 'to delete' } })).body;
      const child = (await call(url('/admin/tenants'), { headers: basic(parent.sid, parent.authToken), json: { name: 'its child' } })).body;
      const person = await account(parent.id, `left-${dialect}@inv.test`);
      const refused = await call(url(`/admin/tenants/${parent.id}`), { method: 'DELETE', headers: basic(partner.sid, partner.authToken) });
      assert.equal(refused.status, 409, refused.text);
      assert.equal(refused.body.error.message, 'tenant "to delete" still has 1 account and 1 sub-tenant: delete them first');
      assert.equal((await call(url(`/admin/tenants/${child.id}`), { method: 'DELETE', headers: basic(child.sid, child.authToken) })).status, 403, 'a tenant does not delete itself');
      assert.equal((await call(url(`/admin/tenants/${child.id}`), { method: 'DELETE', headers: basic(parent.sid, parent.authToken) })).status, 204);
      assert.equal((await call(url(`/admin/tenants/${parent.id}`), { method: 'DELETE', headers: admin })).body.error.message, 'tenant "to delete" still has 1 account: delete the accounts first');
      assert.equal((await call(url(`/admin/accounts/${person.id}`), { method: 'DELETE', headers: admin })).status, 204);
      assert.equal((await call(url(`/admin/tenants/${parent.id}`), { method: 'DELETE', headers: apiKey((await newKey(agent.id)).apiKey) })).status, 403, 'an agent may not');
      assert.equal((await call(url(`/admin/tenants/${other.id}`), { method: 'DELETE', headers: basic(partner.sid, partner.authToken) })).status, 403, 'out of reach');
      assert.equal((await call(url(`/admin/tenants/${parent.id}`), { method: 'DELETE', headers: basic(partner.sid, partner.authToken) })).status, 204);
      assert.equal((await call(url(`/admin/tenants/${parent.id}`), { headers: admin })).status, 404);
      assert.equal((await call(url(`/admin/tenants/${parent.id}`), { headers: basic(parent.sid, parent.authToken) })).status, 401, 'its auth token went with it');
    });

    test('200 requests at once with one key all pass, and its last use is written once', async () => {
      const key = await newKey(agent.id);
      const answers = await Promise.all(Array.from({ length: 200 }, () => call(url(`/admin/tenants/${site.id}`), { headers: apiKey(key.apiKey) })));
      assert.deepEqual([...new Set(answers.map((a) => a.status))], [200]);
      await server.runtime.core.credentials.lastUsed.flush();
      const row = await server.runtime.storage.db.selectFrom('api_keys').select('last_used_at').where('id', '=', key.id).executeTakeFirstOrThrow();
      assert.ok(row.last_used_at !== null);
    });

    test('accounts created while their tenant is deleted: each answer is a success or a refusal, and no account is left without its tenant', async () => {
      const doomed = (await call(url('/admin/tenants'), { headers: basic(partner.sid, partner.authToken), json: { name: 'doomed' } })).body;
      const creations = Array.from({ length: 20 }, (_, i) =>
        call(url('/admin/accounts'), { headers: admin, json: { tenant: String(doomed.id), email: `race-${i}@inv.test`, password: 'a long password' } }),
      );
      const deletion = (async () => {
        for (let i = 0; i < 50; i++) {
          const res = await call(url(`/admin/tenants/${doomed.id}`), { method: 'DELETE', headers: admin });
          if (res.status !== 409) return res;
          // Refused while accounts exist: delete them and try again, as an operator would.
          const listed = await call(url(`/admin/accounts?tenant=${doomed.id}`), { headers: admin });
          for (const a of listed.body.accounts ?? []) await call(url(`/admin/accounts/${a.id}`), { method: 'DELETE', headers: admin });
        }
        return null;
      })();
      const answers = await Promise.all([...creations, deletion]);
      for (const a of answers) if (a) assert.ok([201, 204, 404, 409].includes(a.status), `${a.status} ${a.text}`);
      const gone = (await call(url(`/admin/tenants/${doomed.id}`), { headers: admin })).status === 404;
      const orphans = await server.runtime.storage.db.selectFrom('accounts').select('id').where('tenant_id', '=', doomed.id).execute();
      if (gone) assert.deepEqual(orphans, [], 'no account outlives its tenant');
    });

    test('bad input names the field; the new routes are in /openapi.json', async () => {
      const bad = await call(url('/admin/api-keys?tenant=nope'), { headers: admin });
      assert.equal(bad.status, 400);
      assert.match(bad.text, /tenant/);
      const doc = (await call(url('/openapi.json'))).body;
      for (const [path, method] of [
        ['/admin/api-keys', 'get'], ['/admin/accounts/{id}/api-keys', 'get'], ['/admin/accounts/{id}/api-keys', 'delete'], ['/admin/auth-tokens', 'get'],
        ['/admin/tenants/{tenant}/auth-tokens', 'get'], ['/admin/tenants/{tenant}/auth-tokens', 'delete'], ['/admin/accounts/{id}/password-reset', 'post'],
        ['/admin/accounts/{id}', 'delete'], ['/admin/tenants/{tenant}', 'delete'],
      ] as const) {
        assert.ok(doc.paths[path]?.[method]?.summary, `${method} ${path} documented`);
      }
    });
  });
}
