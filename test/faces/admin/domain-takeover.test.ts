/**
 * Issue 22, finding 1: one customer took over another's SIP domain. Every route the probe used is
 * replayed here — partner P2 → partner P1, a site → its parent's domain, any tenant → the bootstrap
 * tenant's domain, a Flexisip admin of one domain → another tenant's domain, public creation with a
 * creation token, a planted duplicate username — and each must leave the victim's SIP service as it
 * was: its password, its Digest, the registrar's HA1. Also finding 7's first item: a Flexisip admin
 * acting through /admin/… is confined to its own domain, as on the Flexisip face and the console.
 * On SQLite and PostgreSQL, and the takeover chain across two nodes sharing PostgreSQL and Redis.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createAdminKey } from '../../../src/core/bootstrap.js';
import type { Core } from '../../../src/core/core.js';
import { startSharedNodes } from '../../helpers/nodes.js';
import { type TestServer, apiKey, basic, call, startTestServer } from '../../helpers/server.js';
import { DIALECTS, skipDialect, skipUnless } from '../../helpers/services.js';
import { digestCall, uniqueName } from '../flexisip/world.js';

const REGISTRAR_SECRET = 'registrar-secret-for-tests-0123456789';
const ENV = { GATEHOUSE_REGISTRAR_SECRET: REGISTRAR_SECRET, GATEHOUSE_FLEXISIP_DANGEROUS_ENDPOINTS: 'true' };

interface Tenant {
  id: number;
  sid: string;
  authToken: string;
}
interface Victim {
  id: number;
  username: string;
  domain: string;
  password: string;
}

const asTenant = (t: Tenant) => basic(t.sid, t.authToken);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The victim's SIP service is as it was: its password answers Digest, and the registrar gets its HA1. */
async function assertVictimIntact(urls: string[], victim: Victim): Promise<void> {
  for (const url of urls) {
    const me = await digestCall({ url }, victim, '/api/accounts/me');
    assert.equal(me.status, 200, `Digest with the victim's own password on ${url}: ${me.status} ${me.text}`);
    const ha1 = await call(`${url}/internal/sip/ha1?username=${victim.username}&domain=${victim.domain}&algorithm=SHA-256`, { headers: { 'x-gatehouse-registrar-secret': REGISTRAR_SECRET } });
    assert.equal(ha1.status, 200, ha1.text);
    assert.equal(ha1.text, sha256(`${victim.username}:${victim.domain}:${victim.password}`), 'the registrar answers the victim\'s HA1');
  }
}

/**
 * The probe's chain: an account on the victim's domain made through /admin/accounts, a key for it,
 * then the Flexisip face to list the domain and set the victim's password. `urls[0]` creates,
 * `urls[1]` (another node, or the same server) does the rest. Answers the creation's reply.
 */
async function takeover(urls: [string, string], attacker: Record<string, string>, tenant: string | number, victim: Victim) {
  const username = uniqueName('repro');
  const created = await call(`${urls[0]}/admin/accounts`, { headers: attacker, json: { tenant: String(tenant), role: 'sipadmin', username, domain: victim.domain, password: 'attacker-password' } });
  if (created.status === 201) {
    // What the probe did next; on a fixed server it never gets here.
    const key = await call(`${urls[0]}/admin/accounts/${created.body.id}/api-keys`, { headers: attacker, json: {} });
    const stolen = apiKey(key.body.apiKey);
    await call(`${urls[1]}/api/accounts`, { headers: stolen });
    await call(`${urls[1]}/api/accounts/${victim.id}`, { method: 'PUT', headers: stolen, json: { username: victim.username, password: 'attacker-password', algorithm: 'SHA-256' } });
  }
  return created;
}

function assertRefusedDomain(res: { status: number; text: string; body: any }, what: string): void {
  assert.equal(res.status, 400, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.body.error.field, 'domain', res.text);
}

for (const dialect of DIALECTS) {
  describe(`a SIP domain belongs to one tenant (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let url: string;
    let admin: Record<string, string>;
    let boot: Tenant;
    let p1: Tenant;
    let p2: Tenant;
    let site: Tenant;
    const d = { boot: '', p1: '', p1b: '', p2: '', p2b: '' };
    let victim: Victim;
    let bootVictim: Victim;
    let sipadmin: { id: number; key: Record<string, string> };
    let sameTenantOtherDomain: number;
    let ownDomainPeer: number;

    const sipAccount = async (headers: Record<string, string>, domain: string, fields: Record<string, unknown> = {}): Promise<Victim & { body: any }> => {
      const username = (fields.username as string) ?? uniqueName('v');
      const password = 'victim-password';
      const res = await call(`${url}/api/accounts`, { headers, json: { username, password, algorithm: 'SHA-256', domain, activated: true, ...fields } });
      assert.equal(res.status, 200, res.text);
      return { id: res.body.id, username, domain, password, body: res.body };
    };
    const addDomain = async (tenant: number, name: string) => {
      const domain = `${uniqueName(name)}.sip.example.org`;
      const res = await call(`${url}/admin/tenants/${tenant}/sip-domains`, { headers: admin, json: { domain } });
      assert.equal(res.status, 201, res.text);
      return domain;
    };

    before(async () => {
      server = await startTestServer(dialect, { env: ENV });
      url = server.url;
      admin = apiKey(server.admin.apiKey);
      boot = server.admin.tenant;
      p1 = (await call(`${url}/admin/tenants`, { headers: admin, json: { name: 'P1' } })).body;
      p2 = (await call(`${url}/admin/tenants`, { headers: admin, json: { name: 'P2' } })).body;
      site = (await call(`${url}/admin/tenants`, { headers: asTenant(p1), json: { name: 'P1 site' } })).body;
      d.boot = await addDomain(boot.id, 'boot');
      d.p1 = await addDomain(p1.id, 'p1');
      d.p1b = await addDomain(p1.id, 'p1b');
      d.p2 = await addDomain(p2.id, 'p2');
      d.p2b = await addDomain(p2.id, 'p2b');
      victim = await sipAccount(asTenant(p1), d.p1);
      bootVictim = await sipAccount(admin, d.boot);
      const made = await sipAccount(asTenant(p2), d.p2, { admin: true });
      const key = await call(`${url}/admin/accounts/${made.id}/api-keys`, { headers: asTenant(p2), json: {} });
      assert.equal(key.status, 201, key.text);
      sipadmin = { id: made.id, key: apiKey(key.body.apiKey) };
      sameTenantOtherDomain = (await sipAccount(asTenant(p2), d.p2b)).id;
      ownDomainPeer = (await sipAccount(asTenant(p2), d.p2)).id;
    });
    after(() => server.close());

    test('partner P2 cannot make an account on P1\'s domain, so P1\'s SIP service stays its own', async () => {
      const created = await takeover([url, url], asTenant(p2), p2.id, victim);
      await assertVictimIntact([url], victim);
      assertRefusedDomain(created, 'P2 → P1');
      const listed = await call(`${url}/api/accounts`, { headers: asTenant(p2) });
      assert.ok(!listed.text.includes(d.p1), 'P2 lists nothing of P1\'s domain');
    });

    test('a site cannot make an account on its parent\'s domain', async () => {
      const created = await takeover([url, url], asTenant(site), site.id, victim);
      await assertVictimIntact([url], victim);
      assertRefusedDomain(created, 'site → parent');
    });

    test('no tenant can make an account on the bootstrap tenant\'s domain', async () => {
      const byP2 = await takeover([url, url], asTenant(p2), p2.id, bootVictim);
      const byP1 = await takeover([url, url], asTenant(p1), p1.id, bootVictim);
      await assertVictimIntact([url], bootVictim);
      assertRefusedDomain(byP2, 'P2 → bootstrap');
      assertRefusedDomain(byP1, 'P1 → bootstrap');
    });

    test('a parent cannot file its child\'s account under its own domain, nor the deployment admin an account under a domain its tenant does not own', async () => {
      const byParent = await call(`${url}/admin/accounts`, { headers: asTenant(p1), json: { tenant: String(site.id), role: 'sip', username: uniqueName('s'), domain: d.p1, password: 'long enough pw' } });
      assertRefusedDomain(byParent, 'parent → child on the parent\'s domain');
      const byAdmin = await call(`${url}/admin/accounts`, { headers: admin, json: { tenant: String(p2.id), role: 'sip', username: uniqueName('s'), domain: d.p1, password: 'long enough pw' } });
      assertRefusedDomain(byAdmin, 'admin → P2 on P1\'s domain');
      const unowned = await call(`${url}/admin/accounts`, { headers: admin, json: { tenant: String(p1.id), role: 'sip', username: uniqueName('s'), domain: 'nobody-owns-this.example.org', password: 'long enough pw' } });
      assertRefusedDomain(unowned, 'a domain nobody owns');
      const rightful = await call(`${url}/admin/accounts`, { headers: asTenant(p1), json: { tenant: String(p1.id), role: 'sip', username: uniqueName('s'), domain: d.p1.toUpperCase(), password: 'long enough pw' } });
      assert.equal(rightful.status, 201, rightful.text);
      assert.equal(rightful.body.domain, d.p1);
    });

    test('the operator (CLI account create) is held to the same rule', async () => {
      const core: Core = server.runtime.core;
      await assert.rejects(core.accounts.create(null, { tenant: p2.id, role: 'sip', username: uniqueName('cli'), domain: d.p1 }), /domain: is not a SIP domain of this tenant/);
      const made = await core.accounts.create(null, { tenant: p2.id, role: 'sip', username: uniqueName('cli'), domain: d.p2 });
      assert.equal(made.domain, d.p2);
    });

    test('a Flexisip admin of one domain cannot reach another tenant\'s domain on any face', async () => {
      // Refused before the tenant's domains are even looked at: not its own domain.
      const created = await takeover([url, url], sipadmin.key, p2.id, victim);
      assert.equal(created.status, 403, created.text);
      const intoP1 = await call(`${url}/admin/accounts`, { headers: sipadmin.key, json: { tenant: String(p1.id), role: 'sip', username: uniqueName('x'), domain: d.p1, password: 'long enough pw' } });
      assert.equal(intoP1.status, 403, intoP1.text);
      const viaFlexisip = await call(`${url}/api/accounts`, { headers: sipadmin.key, json: { username: uniqueName('x'), password: 'attacker-password', algorithm: 'SHA-256', domain: d.p1 } });
      assert.equal(viaFlexisip.status, 403, viaFlexisip.text);
      const put = await call(`${url}/api/accounts/${victim.id}`, { method: 'PUT', headers: sipadmin.key, json: { username: victim.username, password: 'attacker-password', algorithm: 'SHA-256' } });
      assert.equal(put.status, 404, put.text);
      for (const [method, path] of [['GET', `/admin/accounts/${victim.id}`], ['PATCH', `/admin/accounts/${victim.id}`], ['POST', `/admin/accounts/${victim.id}/api-keys`], ['POST', `/admin/accounts/${victim.id}/jwt`]]) {
        const res = await call(`${url}${path}`, { method, headers: sipadmin.key, ...(method !== 'GET' && { json: method === 'PATCH' ? { password: 'attacker-password' } : {} }) });
        assert.equal(res.status, 403, `${method} ${path}: ${res.text}`);
      }
      await assertVictimIntact([url], victim);
    });

    test('a Flexisip admin acting through /admin/… is confined to its own domain within its tenant too', async () => {
      const other = sameTenantOtherDomain;
      for (const [method, path, json] of [
        ['GET', `/admin/accounts/${other}`, undefined],
        ['PATCH', `/admin/accounts/${other}`, { password: 'attacker-password' }],
        ['PATCH', `/admin/accounts/${other}`, { blocked: true }],
        ['POST', `/admin/accounts/${other}/unlock`, undefined],
        ['POST', `/admin/accounts/${other}/api-keys`, {}],
        ['POST', `/admin/accounts/${other}/jwt`, undefined],
      ] as const) {
        const res = await call(`${url}${path}`, { method, headers: sipadmin.key, ...(json !== undefined && { json }) });
        assert.equal(res.status, 403, `${method} ${path}: ${res.status} ${res.text}`);
      }
      const othersKey = await call(`${url}/admin/accounts/${other}/api-keys`, { headers: asTenant(p2), json: {} });
      assert.equal(othersKey.status, 201, othersKey.text);
      const revoke = await call(`${url}/admin/api-keys/${othersKey.body.id}`, { method: 'DELETE', headers: sipadmin.key });
      assert.equal(revoke.status, 403, `revoking another domain's key: ${revoke.text}`);
      const created = await call(`${url}/admin/accounts`, { headers: sipadmin.key, json: { tenant: String(p2.id), role: 'sip', username: uniqueName('x'), domain: d.p2b, password: 'long enough pw' } });
      assert.equal(created.status, 403, created.text);
      const listed = await call(`${url}/admin/accounts?tenant=${p2.id}`, { headers: sipadmin.key });
      assert.equal(listed.status, 200, listed.text);
      const domains = new Set(listed.body.accounts.map((a: { domain: string | null }) => a.domain));
      assert.deepEqual([...domains], [d.p2], 'only its own domain is listed');
      const row = await server.runtime.storage.db.selectFrom('accounts').select(['blocked']).where('id', '=', other).executeTakeFirstOrThrow();
      assert.equal(row.blocked, 0);
      const keys = await server.runtime.storage.db.selectFrom('api_keys').select('id').where('id', '=', othersKey.body.id).execute();
      assert.equal(keys.length, 1, 'the other domain\'s key still stands');
      // Its own domain stays its to manage, on /admin/… as on the Flexisip face.
      assert.equal((await call(`${url}/admin/accounts/${ownDomainPeer}`, { headers: sipadmin.key })).status, 200);
      assert.equal((await call(`${url}/admin/accounts/${ownDomainPeer}`, { method: 'PATCH', headers: sipadmin.key, json: { displayName: 'peer' } })).status, 200);
      assert.equal((await call(`${url}/admin/accounts/${ownDomainPeer}/jwt`, { method: 'POST', headers: sipadmin.key })).status, 200);
      const own = await call(`${url}/admin/accounts`, { headers: sipadmin.key, json: { tenant: String(p2.id), role: 'sip', username: uniqueName('x'), password: 'long enough pw' } });
      assert.equal(own.status, 201, own.text);
      assert.equal(own.body.domain, d.p2, 'a Flexisip admin creates in its own domain');
    });

    test('a planted duplicate username cannot block the owner\'s own update', async () => {
      const username = uniqueName('dup');
      const planted = await call(`${url}/admin/accounts`, { headers: asTenant(p2), json: { tenant: String(p2.id), role: 'sip', username, domain: d.p1, password: 'long enough pw' } });
      // An account of that name on another tenant's domain stands in nobody's way either.
      await sipAccount(asTenant(p2), d.p2, { username });
      const renamed = await call(`${url}/api/accounts/${victim.id}`, { method: 'PUT', headers: asTenant(p1), json: { username, password: victim.password, algorithm: 'SHA-256' } });
      assert.equal(renamed.status, 200, renamed.text);
      assertRefusedDomain(planted, 'the plant');
      const back = await call(`${url}/api/accounts/${victim.id}`, { method: 'PUT', headers: asTenant(p1), json: { username: victim.username, password: victim.password, algorithm: 'SHA-256' } });
      assert.equal(back.status, 200, back.text);
      await assertVictimIntact([url], victim);
    });

    test('a username is unique within its domain: one tenant\'s two domains may each have an alice, one domain only one', async () => {
      const username = uniqueName('alice');
      await sipAccount(asTenant(p1), d.p1, { username });
      await sipAccount(asTenant(p1), d.p1b, { username });
      const again = await call(`${url}/api/accounts`, { headers: asTenant(p1), json: { username, password: 'secret-pw', algorithm: 'SHA-256', domain: d.p1 } });
      assert.equal(again.status, 422, again.text);
      const viaAdmin = await call(`${url}/admin/accounts`, { headers: asTenant(p1), json: { tenant: String(p1.id), role: 'sip', username, domain: d.p1b, password: 'long enough pw' } });
      assert.equal(viaAdmin.status, 409, viaAdmin.text);
    });

    test('an account creation token lands in the domain of the admin who made it, whatever domain the body names', async () => {
      const token = await call(`${url}/api/account_creation_tokens`, { method: 'POST', headers: sipadmin.key });
      assert.equal(token.status, 201, token.text);
      const username = uniqueName('pub');
      const res = await call(`${url}/api/accounts/public`, {
        json: { username, password: 'attacker-password', algorithm: 'SHA-256', domain: d.p1, email: `${username}@example.org`, account_creation_token: token.body.token },
      });
      assert.equal(res.status, 422, res.text);
      const onP1 = await server.runtime.storage.db.selectFrom('accounts').select('id').where('domain', '=', d.p1).where('username', '=', username).execute();
      assert.equal(onP1.length, 0);
      // A tenant with several domains names the one its token is for; a domain it does not own is refused.
      const several = await call(`${url}/api/account_creation_tokens`, { method: 'POST', headers: asTenant(p1) });
      assert.equal(several.status, 422, several.text);
      const named = await call(`${url}/api/account_creation_tokens?domain=${d.p1b}`, { method: 'POST', headers: asTenant(p1) });
      assert.equal(named.status, 201, named.text);
      const foreign = await call(`${url}/api/account_creation_tokens?domain=${d.p2}`, { method: 'POST', headers: asTenant(p1) });
      assert.equal(foreign.status, 403, foreign.text);
      const made = await call(`${url}/api/accounts/with-account-creation-token`, { json: { username: uniqueName('pub'), password: 'secret-pw', algorithm: 'SHA-256', account_creation_token: named.body.token } });
      assert.equal(made.status, 200, made.text);
      assert.equal(made.body.domain, d.p1b);
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`a public account request opens an account only where its validator administers (${dialect})`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    let owner: Tenant;
    let other: Tenant;
    const publicDomain = `${uniqueName('public')}.sip.example.org`;
    before(async () => {
      server = await startTestServer(dialect, { env: { ...ENV, GATEHOUSE_FLEXISIP_DOMAIN: publicDomain } });
      const admin = apiKey(server.admin.apiKey);
      owner = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'owner' } })).body;
      other = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: 'other' } })).body;
      assert.equal((await call(`${server.url}/admin/tenants/${owner.id}/sip-domains`, { headers: admin, json: { domain: publicDomain } })).status, 201);
      assert.equal((await call(`${server.url}/admin/tenants/${other.id}/sip-domains`, { headers: admin, json: { domain: `${uniqueName('o')}.sip.example.org` } })).status, 201);
    });
    after(() => server.close());

    test('another tenant\'s admin cannot validate a request for the default domain; its owner can', async () => {
      const request = await call(`${server.url}/api/account_creation_request_tokens`, { method: 'POST' });
      assert.equal(request.status, 201, request.text);
      const validate = (headers: Record<string, string>) => call(`${server.url}/api/account_creation_request_tokens/${request.body.token}/validate`, { method: 'POST', headers });
      assert.equal((await validate(asTenant(other))).status, 404);
      const early = await call(`${server.url}/api/account_creation_tokens/using-account-creation-request-token`, { json: { account_creation_request_token: request.body.token } });
      assert.equal(early.status, 404, 'not validated by the other tenant');
      assert.equal((await validate(asTenant(owner))).status, 200);
      const creation = await call(`${server.url}/api/account_creation_tokens/using-account-creation-request-token`, { json: { account_creation_request_token: request.body.token } });
      assert.equal(creation.status, 201, creation.text);
    });
  });
}

describe('the takeover across two nodes sharing PostgreSQL and Redis', { skip: await skipUnless({ postgres: true, redis: true }) }, () => {
  let nodes: Awaited<ReturnType<typeof startSharedNodes<{ p1: Tenant; p2: Tenant; victim: Victim }>>>;
  before(async () => {
    nodes = await startSharedNodes(
      async (core) => {
        const boot = await core.tenants.create(null, { name: 'bootstrap' });
        const admin = await core.credentials.authenticateApiKey((await createAdminKey(core, boot.tenant.id)).apiKey);
        const p1 = await core.tenants.create(null, { name: 'P1' });
        const p2 = await core.tenants.create(null, { name: 'P2' });
        const domain = `${uniqueName('p1')}.sip.example.org`;
        await core.tenants.addSipDomain(admin, p1.tenant.id, domain);
        await core.tenants.addSipDomain(admin, p2.tenant.id, `${uniqueName('p2')}.sip.example.org`);
        const tenant = (t: typeof p1): Tenant => ({ id: t.tenant.id, sid: t.tenant.sid, authToken: t.authToken });
        return { p1: tenant(p1), p2: tenant(p2), victim: { id: 0, username: uniqueName('v'), domain, password: 'victim-password' } };
      },
      { env: ENV },
    );
    const { p1, victim } = nodes.prepared;
    const made = await call(`${nodes.nodes[0]!.url}/api/accounts`, { headers: asTenant(p1), json: { username: victim.username, password: victim.password, algorithm: 'SHA-256', domain: victim.domain, activated: true } });
    assert.equal(made.status, 200, made.text);
    victim.id = made.body.id;
  });
  after(() => nodes?.stop());

  test('P2 creating on one node and acting on the other cannot take P1\'s account', async () => {
    const urls = nodes.nodes.map((n) => n.url) as [string, string];
    const { p2, victim } = nodes.prepared;
    const there = await takeover(urls, asTenant(p2), p2.id, victim);
    const back = await takeover([urls[1], urls[0]], asTenant(p2), p2.id, victim);
    await assertVictimIntact(urls, victim);
    assertRefusedDomain(there, 'node 0 → node 1');
    assertRefusedDomain(back, 'node 1 → node 0');
  });
});
