/**
 * The roles table (src/core/roles.ts) over HTTP: one test per cell (capability × role) on each
 * dialect, each through a route that declares the capability; then every authenticated route is
 * called by every role its capability refuses and must answer 403 before doing anything.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { CAPABILITIES, CAPABILITY_NAMES, type Capability, ROLES, type Role, scopeOf } from '../../src/core/roles.js';
import { DIALECTS, skipDialect } from '../helpers/services.js';
import { type Reply, type TestServer, apiKey, basic, bearer, call, startTestServer } from '../helpers/server.js';

const idp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ISSUER = 'https://idp.roles.test';

interface Actor {
  role: Role;
  /** The caller's own account (null for tenant credentials). */
  self: number | null;
  /** An account in reach, of a role this caller would act on if its scope were `all`. */
  other: number;
  /** Headers for a route accepting these schemes. */
  headers(auth: string[]): Record<string, string>;
}

/**
 * What one request through a capability's route answered, for the caller's own account and for another.
 * A capability whose routes act on the caller's own account only (sip.self: /api/accounts/me/…) has no other.
 */
type Probe = (a: Actor) => Promise<{ self?: Reply; other?: Reply }>;

for (const dialect of DIALECTS) {
  describe(`the roles table over HTTP on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let server: TestServer;
    const actors = {} as Record<Role, Actor>;
    let site: { id: number; sid: string };
    let sent = 0;
    const url = (path: string) => `${server.url}${path}`;

    before(async () => {
      server = await startTestServer(dialect, {
        env: {
          GATEHOUSE_EXTERNAL_JWT_ISSUER: ISSUER,
          GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY: idp.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        },
      });
      const admin = apiKey(server.admin.apiKey);
      const partner = (await call(url('/admin/tenants'), { headers: admin, json: { name: 'partner' } })).body;
      site = (await call(url('/admin/tenants'), { headers: basic(partner.sid, partner.authToken), json: { name: 'site' } })).body;
      // Flexisip accounts sit in the partner's SIP domain: a Flexisip admin's scope is that domain.
      const domain = 'roles.sip.test';
      assert.equal((await call(url(`/admin/tenants/${partner.id}/sip-domains`), { headers: admin, json: { domain } })).status, 201);
      const account = async (tenant: number, role: string, name: string) => {
        const sipFields = role === 'sip' || role === 'sipadmin' ? { username: name, domain } : {};
        const made = await call(url('/admin/accounts'), { headers: admin, json: { tenant: String(tenant), email: `${name}@roles.test`, password: 'a long password', role, ...sipFields } });
        assert.equal(made.status, 201, made.text);
        const key = (await call(url(`/admin/accounts/${made.body.id}/api-keys`), { headers: admin, json: {} })).body.apiKey as string;
        return { id: made.body.id as number, key };
      };
      const superagent = await account(partner.id, 'superagent', 'super');
      const agent = await account(site.id, 'agent', 'agent');
      const colleague = await account(site.id, 'agent', 'colleague');
      const siteadmin = await account(site.id, 'siteadmin', 'siteadmin');
      const sipadmin = await account(partner.id, 'sipadmin', 'sipadmin');
      const sip = await account(partner.id, 'sip', 'sip');
      const sipPeer = await account(partner.id, 'sip', 'sip-peer');
      const adminId = (await server.runtime.core.credentials.authenticateApiKey(server.admin.apiKey)).accountId!;
      const tenantJwt = await new SignJWT({ tenant: partner.sid }).setProtectedHeader({ alg: 'ES256' }).setIssuer(ISSUER).setAudience('gatehouse').setIssuedAt().setExpirationTime('30m').sign(idp.privateKey);
      const byKey = (key: string) => () => apiKey(key);
      actors.admin = { role: 'admin', self: adminId, other: agent.id, headers: byKey(server.admin.apiKey) };
      actors.tenant = {
        role: 'tenant',
        self: null,
        other: agent.id,
        headers: (auth) => (auth.includes('basic') ? basic(partner.sid, partner.authToken) : bearer(tenantJwt)),
      };
      actors.superagent = { role: 'superagent', self: superagent.id, other: agent.id, headers: byKey(superagent.key) };
      actors.agent = { role: 'agent', self: agent.id, other: colleague.id, headers: byKey(agent.key) };
      actors.siteadmin = { role: 'siteadmin', self: siteadmin.id, other: colleague.id, headers: byKey(siteadmin.key) };
      actors.sipadmin = { role: 'sipadmin', self: sipadmin.id, other: sip.id, headers: byKey(sipadmin.key) };
      actors.sip = { role: 'sip', self: sip.id, other: sipPeer.id, headers: byKey(sip.key) };
    });
    after(() => server.close());

    const as = (a: Actor, method: string, path: string, auth: string[], json?: unknown) =>
      call(url(path), { method, headers: a.headers(auth), ...(json !== undefined && { json }) });
    const BASIC = ['basic', 'apiKey'];
    const COMM100 = ['jwt', 'apiKey'];
    const ALL = ['basic', 'apiKey', 'jwt'];
    const forAccount = (method: string, path: (id: number) => string, auth: string[], json?: unknown): Probe => async (a) => ({
      ...(a.self !== null && { self: await as(a, method, path(a.self), auth, json) }),
      other: await as(a, method, path(a.other), auth, json),
    });
    const once = (method: string, path: string, auth: string[], json?: () => unknown): Probe => async (a) => ({
      other: await as(a, method, path, auth, json?.()),
    });

    const probes: Record<Capability, Probe> = {
      'codes.send': once('POST', '/2fa/send', BASIC, () => ({ service: 'roles', from: '+14155551111', to: `+1415555${String(++sent).padStart(4, '0')}`, body: 'code {code}' })),
      'codes.policy': once('PUT', '/2fa/settings/countries', BASIC, () => ({ allowedCallingCodes: [] })),
      'records.read': once('GET', '/2fa/sdr/search', BASIC),
      'tenants.read': once('GET', '/admin/tenants', ALL),
      'tenants.manage': once('POST', '/admin/tenants', ALL, () => ({ name: 'made by a role test' })),
      'accounts.read': forAccount('GET', (id) => `/admin/accounts/${id}`, ALL),
      'accounts.manage': forAccount('PATCH', (id) => `/admin/accounts/${id}`, ALL, { displayName: 'renamed' }),
      'credentials.mint': forAccount('POST', (id) => `/admin/accounts/${id}/jwt`, ALL),
      'credentials.read': forAccount('GET', (id) => `/admin/accounts/${id}/api-keys`, ALL),
      'twofactor.manage': async (a) => ({
        ...(a.self !== null && { self: await as(a, 'GET', '/global/trustedDevices', COMM100) }),
        other: await as(a, 'GET', `/global/trustedDevices?agentId=${a.other}`, COMM100),
      }),
      'site.policy': async (a) => ({ other: await as(a, 'PUT', '/global/siteAuthenticationConfigs', COMM100, { siteId: site.id, '2FARequirement': 1 }) }),
      'audit.read': forAccount('GET', (id) => `/global/auditEvents?agentId=${id}`, ALL),
      'changes.read': once('GET', '/admin/changes', ALL),
      'outbox.read': once('GET', '/dev/outbox', ALL),
      // Voice routes refuse a role in the authentication hook; an allowed one reaches the handler
      // (here: "voice not configured", a 400, since this server has no Twilio account).
      'voice.token': once('GET', '/voicetwilio/token', COMM100),
      'voice.lines.read': async (a) => ({ other: await as(a, 'GET', `/voiceconfig/phonelines?siteId=${site.id}`, ALL) }),
      'voice.lines.manage': async (a) => ({ other: await as(a, 'POST', `/voiceconfig/phonelines`, ALL, { siteId: site.id, name: 'probe', phoneNumber: '+14155550001' }) }),
      'voice.numbers.read': async (a) => ({ other: await as(a, 'GET', `/voiceconfig/phonenumbers?siteId=${site.id}`, ALL) }),
      'voice.numbers.assign': async (a) => ({ other: await as(a, 'PUT', '/voiceconfig/phonenumbers/+14155550001', ALL, { siteId: site.id }) }),
      'voice.records.read': async (a) => ({ other: await as(a, 'GET', `/voiceconfig/callrecords?siteId=${site.id}`, ALL) }),
      'voice.account.manage': async (a) => ({ other: await as(a, 'GET', `/voiceconfig/twilioaccount?siteId=${site.id}`, ALL) }),
      'sip.self': async (a) => ({ self: await as(a, 'GET', '/api/accounts/me/provision', ['apiKey', 'jwt']) }),
      'webhooks.manage': async (a) => ({ other: await as(a, 'GET', `/admin/tenants/${site.id}/webhooks`, ALL) }),
      // Passkeys are the caller's own only: the routes name no other account.
      'passkeys.manage': async (a) => ({ self: await as(a, 'GET', '/passkeys', COMM100) }),
    };

    test('every capability of the table has a probe here', () => {
      assert.deepEqual(Object.keys(probes).sort(), [...CAPABILITY_NAMES].sort());
    });

    // `domain`: the other account is in the caller's SIP domain, so it is reached as with `all`
    // (test/faces/admin/domain-takeover.test.ts proves the accounts of other domains are not).
    for (const capability of CAPABILITY_NAMES) {
      for (const role of ROLES) {
        const scope = scopeOf({ role }, capability);
        test(`${capability} × ${role}: ${scope ?? 'refused'}`, async () => {
          const { self, other } = await probes[capability](actors[role]);
          // Allowed: the route ran (200, or a 400/404 about the input), not a refusal of the caller.
          const allowed = (r: Reply) => r.status !== 403 && r.status !== 401;
          assert.ok(self || other, 'a probe makes at least one request');
          if (scope === null) {
            if (other) assert.equal(other.status, 403, `${CAPABILITIES[capability][0]}: ${other.text}`);
            if (self) assert.equal(self.status, 403, self.text);
          } else if (scope === 'own') {
            assert.ok(self && allowed(self), `own account: ${self?.status} ${self?.text}`);
            if (other) assert.equal(other.status, 403, `another account: ${other.text}`);
          } else {
            if (other) assert.ok(allowed(other), `${other.status} ${other.text}`);
            if (self) assert.ok(allowed(self), `own account: ${self.status} ${self.text}`);
          }
        });
      }
    }

    test('every authenticated route refuses, before anything else, each role its capability leaves out', async () => {
      const routes = server.app.routeCapabilities;
      assert.ok(routes.length > 50, `${routes.length} routes declare a capability`);
      let checked = 0;
      for (const route of routes) {
        for (const role of ROLES) {
          if (scopeOf({ role }, route.capability) !== null) continue;
          const path = route.url.replaceAll('::', '\0').replace(/:\w+/g, '1').replaceAll('\0', ':');
          const body = route.method === 'GET' ? {} : { json: {} };
          const res = await call(url(path), { method: route.method, headers: actors[role].headers(route.auth), ...body });
          assert.equal(res.status, 403, `${role} ${route.method} ${route.url} (${route.capability}): ${res.status} ${res.text}`);
          checked++;
        }
      }
      assert.ok(checked > 100, `${checked} refusals checked`);
    });
  });
}
