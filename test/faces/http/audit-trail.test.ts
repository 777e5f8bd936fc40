/**
 * The admin audit trail over every state-changing route (issue 25): the routes come from the
 * server itself — every POST, PUT, PATCH and DELETE of /openapi.json, its GETs that change state,
 * and the pages' form posts (hidden from /openapi.json, listed by the hook: app.auditedRoutes). Each
 * route not excluded is called once successfully by a caller allowed to, and must leave exactly one
 * record (done, with the caller, the action, the object, the address); then once by a caller it
 * refuses, and must leave exactly one refusal record (with the error code). The excluded routes are
 * listed here with their reasons and must equal the server's; a public route's refused anonymous
 * request leaves nothing. No record holds a password, secret, code, token or key the request or the
 * answer carried.
 *
 * A route with no recipe below (a route added later) is still called, generically, and its record
 * checked; then the test fails, naming the route, until a recipe makes it succeed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type Capability, type Role, scopeOf } from '../../../src/core/roles.js';
import { type Reply, apiKey, basic, call } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { softAttestation } from '../../helpers/soft-passkey.js';
import { nowCode } from '../comm100/twofactor-world.js';
import { type VoiceWorld, startVoiceWorld } from '../voice/voice-world.js';

const SECRET = 'JBSWY3DPEHPK3PXP';
const SECRET2 = 'KRSXG5CTMVRXEZLU';
const PASSWORD = 'a long password';
const NEW_PASSWORD = 'another long password';
/** A destructive form acts only with confirm=yes (src/faces/web/confirm.ts): without it, it asks and changes nothing. */
const CONFIRMED = { confirm: 'yes' };
/** The console verbs that ask first. */
const CONFIRMS = ['block', 'reset-2fa', 'deactivate', 'delete'];

/** The state-changing routes left out of the trail, and why (src/faces/http/audit-trail.ts NotAudited). */
const EXCLUDED: Record<string, string> = {
  'POST /2fa/send': 'code', 'POST /2fa/verify': 'code', 'POST /2fa/cancel': 'code',
  'POST /2fa/code::verify': 'code', 'POST /api/messages': 'code',
  'POST /api/accounts/recover-by-phone': 'code', 'POST /api/account_creation_tokens/send-by-push': 'code',
  'POST /api/accounts/:sip/activate/email': 'code', 'POST /api/accounts/:sip/activate/phone': 'code',
  'POST /api/accounts/me/email/request': 'code', 'POST /api/accounts/me/phone/request': 'code',
  'POST /2fa/secretkey': 'read', 'POST /account/security/saved': 'read',
  'POST /global/jwtToken/login': 'login', 'POST /global/endlogin': 'login', 'POST /partnerloginapi/endlogin': 'login',
  'POST /loginapi/2fa::verify': 'login', 'POST /global/2fa::verify': 'login', 'POST /partnerloginapi/2fa::verify': 'login',
  'POST /login': 'login', 'POST /login/code': 'login', 'POST /login/saved': 'login', 'POST /login/restart': 'login', 'POST /logout': 'login',
  'POST /console/key': 'login', 'POST /console/forget': 'login',
  'POST /login/passkey/options': 'login', 'POST /login/passkey': 'login', 'POST /login/passkey/step-options': 'login', 'POST /login/passkey/step': 'login',
  'POST /passkeys/registration-options': 'read', 'POST /account/security/passkeys/options': 'read', 'POST /console/credentials/find': 'read',
  'POST /api/account_creation_request_tokens': 'login', 'POST /api/account_creation_request_tokens/:token/validate': 'login',
  'POST /api/account_creation_tokens/using-account-creation-request-token': 'login', 'POST /api/accounts/auth_token': 'login',
  'GET /api/accounts/auth_token/:auth_token/attach': 'login', 'GET /api/accounts/:sip/recover/:recover_key': 'login',
  'GET /api/accounts/me/api_key/:auth_token': 'login',
  'POST /2fa/callbacks/twilio/status': 'callback', 'POST /voicetwilio/voice': 'callback', 'POST /voicetwilio/statuscallback': 'callback',
  'POST /voicetwilio/fallback': 'callback', 'POST /internal/sip/registrations': 'callback',
  'POST /api/statistics/messages': 'statistics', 'PATCH /api/statistics/messages/:message_id/to/:to/devices/:device_id': 'statistics',
  'POST /api/statistics/calls': 'statistics', 'PATCH /api/statistics/calls/:call_id/devices/:device_id': 'statistics',
  'PATCH /api/statistics/calls/:call_id': 'statistics',
};

type Who = Role | 'anonymous' | { role: Role | 'anonymous'; headers: Record<string, string> };

interface Req {
  as: Who;
  path: string;
  json?: unknown;
  /** A page's form: posted form-encoded with the caller's page cookie and its CSRF token. */
  form?: Record<string, string>;
}

interface Recipe {
  /** The successful call. */
  done(x: Ctx): Promise<Req>;
  /** The refused call, when the route's capability refuses no role (or the route declares none). */
  refused?(x: Ctx): Promise<Req>;
}

interface Person {
  id: number;
  key: string;
  email: string;
  username?: string;
}

interface Ctx {
  w: VoiceWorld;
  site: { id: number; sid: string };
  domain: string;
  sipadmin: Person;
  agent(options?: { twoFactor?: boolean; site?: number }): Promise<Person>;
  /** A new site under the partner, with no 2FA requirement stated. */
  newSite(): Promise<number>;
  /** A site's own Twilio account (another account of the fake). */
  siteTwilio(): { accountSid: string; authToken: string };
  superagent(options?: { twoFactor?: boolean }): Promise<Person>;
  sip(options?: { phone?: string }): Promise<Person>;
  apiKeyId(): Promise<number>;
  authTokenId(): Promise<number>;
  limitSid(): Promise<string>;
  assignedNumber(): Promise<string>;
  lineId(): Promise<number>;
  device(accountId: number): Promise<number>;
  contactsList(): Promise<number>;
  accountType(): Promise<number>;
  action(sipId: number): Promise<number>;
  creationToken(): Promise<string>;
  /** The last code the outbox holds for this address (an email or a phone number). */
  codeSentTo(to: string): Promise<string>;
  /** The session cookie and CSRF token of an account's pages, or of the console's key. */
  page(who: { session?: string; consoleKey?: string }): { cookie: string; csrf: string };
  sessionOf(accountId: number): Promise<string>;
  /** A passkey of the account (a stored row: rename and removal never check its key). */
  passkey(accountId: number): Promise<number>;
  /** The origin passkey ceremonies come from (the public URL's). */
  origin: string;
  /** A prefix the fraud guard blocked for the site (its sends not verified), a new one each time. */
  blockedPrefix(): Promise<string>;
  /** A webhook of the site (to an address that never answers). */
  webhook(): Promise<string>;
  /** A webhook with one delivery (an agent of the site unlocked raised login.unlocked). */
  delivery(): Promise<{ webhook: string; delivery: string }>;
}

let n = 0;
let blocked = 2;
/** Few sends judge a prefix's conversion here, so that blocking one for the lift's recipe is quick. */
const FRAUD_MIN_SENDS = 3;
const u = (prefix: string) => `${prefix}${Date.now().toString(36)}${(n++).toString(36)}${randomBytes(2).toString('hex')}`;
const twoFactor = () => ({ secretKey: SECRET, code: nowCode(SECRET) });
/** A setup request must succeed (any 2xx). */
const made = (r: Reply) => assert.ok(r.status >= 200 && r.status < 300, `${r.status} ${r.text.slice(0, 200)}`);
const req = (as: Who, path: string, body: Partial<Pick<Req, 'json' | 'form'>> = {}): Req => ({ as, path, ...body });
const asKey = (role: Role, p: Person): Who => ({ role, headers: apiKey(p.key) });
const sipBody = (x: Ctx) => ({ username: u('u'), password: PASSWORD, algorithm: 'SHA-256', domain: x.domain, activated: true });

/** Console forms as the deployment admin (its key in the console's cookie). */
const consoleForm = (path: (x: Ctx) => Promise<string> | string, fields: (x: Ctx) => Record<string, string> = () => ({})): Recipe => ({
  done: async (x) => req({ role: 'admin', headers: consoleHeaders(x) }, await path(x), { form: fields(x) }),
  // A signed-in agent in the console: its pages open, the action is refused by core.
  refused: async (x) => {
    const agent = await x.agent();
    return req({ role: 'agent', headers: { cookie: x.page({ session: await x.sessionOf(agent.id) }).cookie } }, await path(x), { form: fields(x) });
  },
});
let consoleHeaders: (x: Ctx) => Record<string, string>;

/** An account's own security pages, signed in. */
const securityForm = (
  setup: (x: Ctx) => Promise<{ agent: Person; path: string; fields?: Record<string, string>; cookie?: string }>,
  refused: Recipe['refused'],
): Recipe => ({
  done: async (x) => {
    const { agent, path, fields = {}, cookie } = await setup(x);
    return req({ role: 'agent', headers: { cookie: [x.page({ session: await x.sessionOf(agent.id) }).cookie, cookie].filter(Boolean).join('; ') } }, path, { form: fields });
  },
  refused,
});

const RECIPES: Record<string, Recipe> = {
  // The management API.
  'POST /admin/tenants': { done: async () => req('admin', '/admin/tenants', { json: { name: u('tenant') } }) },
  'PATCH /admin/tenants/:tenant': { done: async (x) => req('admin', `/admin/tenants/${x.site.id}`, { json: { email: 'ops@audit.test' } }) },
  'POST /admin/tenants/:tenant/auth-tokens': { done: async (x) => req('admin', `/admin/tenants/${x.site.id}/auth-tokens`) },
  'DELETE /admin/tenants/:tenant/auth-tokens/:id': { done: async (x) => req('admin', `/admin/tenants/${x.site.id}/auth-tokens/${await x.authTokenId()}`) },
  'POST /admin/tenants/:tenant/sip-domains': { done: async (x) => req('admin', `/admin/tenants/${x.site.id}/sip-domains`, { json: { domain: `${u('d')}.audit.test` } }) },
  'POST /admin/accounts': { done: async (x) => req('admin', '/admin/accounts', { json: { tenant: String(x.site.id), email: `${u('e')}@audit.test`, password: PASSWORD, role: 'agent' } }) },
  'PATCH /admin/accounts/:id': { done: async (x) => req('admin', `/admin/accounts/${(await x.agent()).id}`, { json: { displayName: 'Audited', password: NEW_PASSWORD } }) },
  'POST /admin/accounts/:id/unlock': { done: async (x) => req('admin', `/admin/accounts/${(await x.agent()).id}/unlock`) },
  'POST /admin/accounts/:id/api-keys': {
    done: async (x) => req('admin', `/admin/accounts/${(await x.agent()).id}/api-keys`, { json: { name: 'audited' } }),
    // Everyone may mint for its own account: an agent minting for another is refused.
    refused: async (x) => req(asKey('agent', await x.agent()), `/admin/accounts/${(await x.agent()).id}/api-keys`, { json: {} }),
  },
  'DELETE /admin/api-keys/:id': {
    done: async (x) => req('admin', `/admin/api-keys/${await x.apiKeyId()}`),
    refused: async (x) => req(asKey('agent', await x.agent()), `/admin/api-keys/${await x.apiKeyId()}`),
  },
  'POST /admin/accounts/:id/jwt': {
    done: async (x) => req('admin', `/admin/accounts/${(await x.agent()).id}/jwt`),
    refused: async (x) => req(asKey('agent', await x.agent()), `/admin/accounts/${(await x.agent()).id}/jwt`),
  },
  // Comm100's second factor: an agent's or super agent's own, or the admin acting on one.
  'POST /global/agent2faConfigs': { done: async (x) => req(asKey('agent', await x.agent()), '/global/agent2faConfigs', { json: twoFactor() }) },
  'PUT /global/agent2faConfigs/:agentId': { done: async (x) => req('admin', `/global/agent2faConfigs/${(await x.agent({ twoFactor: true })).id}`, { json: { secretKey: SECRET2, code: nowCode(SECRET2) } }) },
  'DELETE /global/agent2faConfigs/:agentId': { done: async (x) => req('admin', `/global/agent2faConfigs/${(await x.agent({ twoFactor: true })).id}`) },
  'POST /partnerglobal/superagent2faConfigs': { done: async (x) => req(asKey('superagent', await x.superagent()), '/partnerglobal/superagent2faConfigs', { json: twoFactor() }) },
  'PUT /partnerglobal/superagent2faConfigs/:superagentId': { done: async (x) => req('admin', `/partnerglobal/superagent2faConfigs/${(await x.superagent({ twoFactor: true })).id}`, { json: { secretKey: SECRET2, code: nowCode(SECRET2) } }) },
  'DELETE /partnerglobal/superagent2faConfigs/:superagentId': { done: async (x) => req('admin', `/partnerglobal/superagent2faConfigs/${(await x.superagent({ twoFactor: true })).id}`) },
  ...Object.fromEntries(
    (['/global/2faConfig', '/globalapi/2faConfig', '/partnerglobal/2faConfig', '/partnerglobalapi/2faConfig'] as const).flatMap((base) => {
      const partner = base.startsWith('/partner');
      const person = (x: Ctx, twoFactor: boolean) => (partner ? x.superagent({ twoFactor }) : x.agent({ twoFactor }));
      const role: Role = partner ? 'superagent' : 'agent';
      return [
        [`POST ${base}`, { done: async (x: Ctx) => req(asKey(role, await person(x, false)), base, { json: twoFactor() }) }],
        [`PUT ${base}`, { done: async (x: Ctx) => req(asKey(role, await person(x, true)), base, { json: { secretKey: SECRET2, code: nowCode(SECRET2) } }) }],
        [`DELETE ${base}`, { done: async (x: Ctx) => req(asKey(role, await person(x, true)), base) }],
        [`PUT ${base}/:id`, { done: async (x: Ctx) => req('admin', `${base}/${(await person(x, true)).id}`, { json: { secretKey: SECRET2, code: nowCode(SECRET2) } }) }],
        [`DELETE ${base}/:id`, { done: async (x: Ctx) => req('admin', `${base}/${(await person(x, true)).id}`) }],
      ] as Array<[string, Recipe]>;
    }),
  ),
  'POST /global/agent2faBackupCodes::generate': { done: async (x) => req(asKey('agent', await x.agent({ twoFactor: true })), '/global/agent2faBackupCodes:generate', { json: {} }) },
  'POST /global/agent2faBackupCode::generate': { done: async (x) => req(asKey('agent', await x.agent({ twoFactor: true })), '/global/agent2faBackupCode:generate', { json: {} }) },
  'POST /partnerglobal/superagent2fabackupcodes::generate': { done: async (x) => req(asKey('superagent', await x.superagent({ twoFactor: true })), '/partnerglobal/superagent2fabackupcodes:generate', { json: {} }) },
  'POST /partnerglobal/superagents2fabackupcodes::generate': { done: async (x) => req(asKey('superagent', await x.superagent({ twoFactor: true })), '/partnerglobal/superagents2fabackupcodes:generate', { json: {} }) },
  'POST /2fa/code': { done: async (x) => req(asKey('agent', await x.agent({ twoFactor: true })), '/2fa/code', { json: {} }) },
  'POST /2fa/codes': { done: async (x) => req(asKey('agent', await x.agent({ twoFactor: true })), '/2fa/codes', { json: {} }) },
  'PUT /global/agent2faBackupCode': { done: async (x) => req(asKey('agent', await x.agent({ twoFactor: true })), '/global/agent2faBackupCode', { json: {} }) },
  'DELETE /global/agent2faBackupCode': {
    done: async (x) => {
      const agent = await x.agent({ twoFactor: true });
      made(await call(`${x.w.server.url}/global/agent2faBackupCode`, { method: 'PUT', headers: apiKey(agent.key), json: {} }));
      return req(asKey('agent', agent), '/global/agent2faBackupCode');
    },
  },
  'POST /global/siteAuthenticationConfigs': { done: async (x) => req('admin', '/global/siteAuthenticationConfigs', { json: { siteId: x.site.id, '2FARequirement': 0 } }) },
  'PUT /global/siteAuthenticationConfigs': { done: async (x) => req('admin', '/global/siteAuthenticationConfigs', { json: { siteId: x.site.id, '2FARequirement': 0 } }) },
  'DELETE /global/trustedDevices': {
    done: async (x) => {
      const agent = await x.agent();
      await x.device(agent.id);
      return req('admin', `/global/trustedDevices?agentId=${agent.id}`);
    },
  },
  'DELETE /global/trustedDevices/:id': { done: async (x) => req('admin', `/global/trustedDevices/${await x.device((await x.agent()).id)}`) },
  // Smart 2FA's policy, as the site's own credentials.
  'POST /2fa/limits': { done: async () => req('tenant', '/2fa/limits', { json: { name: u('limit_'), buckets: [{ name: 'b', max: '5', interval: '60' }] } }) },
  'PUT /2fa/limits/:sid': { done: async (x) => req('tenant', `/2fa/limits/${await x.limitSid()}`, { json: { description: 'audited' } }) },
  'DELETE /2fa/limits/:sid': { done: async (x) => req('tenant', `/2fa/limits/${await x.limitSid()}`) },
  'PUT /2fa/settings/countries': { done: async () => req('tenant', '/2fa/settings/countries', { json: { allowedCallingCodes: ['1', '44'] } }) },
  // Voice.
  'PUT /voiceconfig/phonenumbers/:phoneNumber': { done: async (x) => req('admin', `/voiceconfig/phonenumbers/${encodeURIComponent(x.w.newNumber())}`, { json: { siteId: x.site.id } }) },
  'DELETE /voiceconfig/phonenumbers/:phoneNumber': { done: async (x) => req('admin', `/voiceconfig/phonenumbers/${encodeURIComponent(await x.assignedNumber())}`) },
  'POST /voiceconfig/phonelines': { done: async (x) => req('admin', '/voiceconfig/phonelines', { json: { siteId: x.site.id, name: u('line'), phoneNumber: await x.assignedNumber() } }) },
  'PUT /voiceconfig/phonelines/:id': { done: async (x) => req('admin', `/voiceconfig/phonelines/${await x.lineId()}`, { json: { name: u('line') } }) },
  'DELETE /voiceconfig/phonelines/:id': { done: async (x) => req('admin', `/voiceconfig/phonelines/${await x.lineId()}`) },
  // In a site of its own: a site's own account takes the place of the deployment's numbers there.
  'PUT /voiceconfig/twilioaccount': { done: async (x) => req('admin', '/voiceconfig/twilioaccount', { json: { siteId: await x.newSite(), ...x.siteTwilio() } }) },
  'DELETE /voiceconfig/twilioaccount': {
    done: async (x) => {
      const siteId = await x.newSite();
      made(await call(`${x.w.server.url}/voiceconfig/twilioaccount`, { method: 'PUT', headers: x.w.admin, json: { siteId, ...x.siteTwilio() } }));
      return req('admin', `/voiceconfig/twilioaccount?siteId=${siteId}`);
    },
  },
  // Flexisip's account API: its admin (a Flexisip admin of the site's domain) and its users.
  'POST /api/account_creation_tokens': { done: async (x) => req('admin', `/api/account_creation_tokens?domain=${x.domain}`) },
  'POST /api/accounts/with-account-creation-token': { done: async (x) => req('anonymous', '/api/accounts/with-account-creation-token', { json: { ...sipBody(x), account_creation_token: await x.creationToken() } }) },
  'POST /api/accounts/public': { done: async (x) => req('anonymous', '/api/accounts/public', { json: { ...sipBody(x), email: `${u('p')}@audit.test`, account_creation_token: await x.creationToken() } }) },
  'GET /api/accounts/me/api_key': { done: async (x) => req(asKey('sip', await x.sip()), '/api/accounts/me/api_key') },
  'DELETE /api/accounts/me': { done: async (x) => req(asKey('sip', await x.sip()), '/api/accounts/me') },
  'GET /api/accounts/me/provision': { done: async (x) => req(asKey('sip', await x.sip()), '/api/accounts/me/provision') },
  'POST /api/accounts/me/password': { done: async (x) => req(asKey('sip', await x.sip()), '/api/accounts/me/password', { json: { algorithm: 'SHA-256', old_password: PASSWORD, password: NEW_PASSWORD } }) },
  'POST /api/accounts': { done: async (x) => req(asKey('sipadmin', x.sipadmin), '/api/accounts', { json: sipBody(x) }) },
  'PUT /api/accounts/:id': { done: async (x) => req(asKey('sipadmin', x.sipadmin), `/api/accounts/${(await x.sip()).id}`, { json: sipBody(x) }) },
  'DELETE /api/accounts/:id': { done: async (x) => req(asKey('sipadmin', x.sipadmin), `/api/accounts/${(await x.sip()).id}`) },
  ...Object.fromEntries(['activate', 'deactivate', 'block', 'unblock'].map((verb) => [`POST /api/accounts/:id/${verb}`, { done: async (x: Ctx) => req(asKey('sipadmin', x.sipadmin), `/api/accounts/${(await x.sip()).id}/${verb}`) }])),
  'GET /api/accounts/:id/provision': { done: async (x) => req(asKey('sipadmin', x.sipadmin), `/api/accounts/${(await x.sip()).id}/provision`) },
  'POST /api/accounts/me/email': {
    done: async (x) => {
      const sip = await x.sip();
      const email = `${u('new')}@audit.test`;
      made(await call(`${x.w.server.url}/api/accounts/me/email/request`, { headers: apiKey(sip.key), json: { email } }));
      return req(asKey('sip', sip), '/api/accounts/me/email', { json: { code: await x.codeSentTo(email) } });
    },
  },
  'POST /api/accounts/me/phone': {
    done: async (x) => {
      const sip = await x.sip();
      // A number the fraud guard takes for a real mobile (a UK one): +1555 numbers are refused as invalid.
      const phone = `+447712${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
      made(await call(`${x.w.server.url}/api/accounts/me/phone/request`, { headers: apiKey(sip.key), json: { phone } }));
      return req(asKey('sip', sip), '/api/accounts/me/phone', { json: { code: await x.codeSentTo(phone) } });
    },
  },
  'DELETE /api/accounts/me/devices/:uuid': {
    done: async (x) => {
      const sip = await x.sip();
      const uuid = `urn:uuid:${u('d')}`;
      await x.w.server.runtime.core.flexisip.devices.register({ username: sip.username!, domain: x.domain, uuid, contact: `<sip:${sip.username}@192.0.2.1>`, userAgent: 'audit', expires: 3600 });
      return req(asKey('sip', sip), `/api/accounts/me/devices/${encodeURIComponent(uuid)}`);
    },
  },
  'POST /api/accounts/:id/contacts/:contact_id': { done: async (x) => req(asKey('sipadmin', x.sipadmin), `/api/accounts/${(await x.sip()).id}/contacts/${(await x.sip()).id}`) },
  'DELETE /api/accounts/:id/contacts/:contact_id': {
    done: async (x) => {
      const [a, b] = [await x.sip(), await x.sip()];
      made(await call(`${x.w.server.url}/api/accounts/${a.id}/contacts/${b.id}`, { method: 'POST', headers: apiKey(x.sipadmin.key) }));
      return req(asKey('sipadmin', x.sipadmin), `/api/accounts/${a.id}/contacts/${b.id}`);
    },
  },
  'POST /api/accounts/:id/dictionary/:key': { done: async (x) => req(asKey('sipadmin', x.sipadmin), `/api/accounts/${(await x.sip()).id}/dictionary/audited`, { json: { value: 'v' } }) },
  'DELETE /api/accounts/:id/dictionary/:key': {
    done: async (x) => {
      const sip = await x.sip();
      made(await call(`${x.w.server.url}/api/accounts/${sip.id}/dictionary/audited`, { headers: apiKey(x.sipadmin.key), json: { value: 'v' } }));
      return req(asKey('sipadmin', x.sipadmin), `/api/accounts/${sip.id}/dictionary/audited`);
    },
  },
  'POST /api/accounts/:id/actions': { done: async (x) => req(asKey('sipadmin', x.sipadmin), `/api/accounts/${(await x.sip()).id}/actions`, { json: { key: 'door', code: '9' } }) },
  'POST /api/accounts/:id/actions/': { done: async (x) => req(asKey('sipadmin', x.sipadmin), `/api/accounts/${(await x.sip()).id}/actions/`, { json: { key: 'door', code: '9' } }) },
  'PUT /api/accounts/:id/actions/:action_id': {
    done: async (x) => {
      const sip = await x.sip();
      return req(asKey('sipadmin', x.sipadmin), `/api/accounts/${sip.id}/actions/${await x.action(sip.id)}`, { json: { key: 'gate', code: '8' } });
    },
  },
  'DELETE /api/accounts/:id/actions/:action_id': {
    done: async (x) => {
      const sip = await x.sip();
      return req(asKey('sipadmin', x.sipadmin), `/api/accounts/${sip.id}/actions/${await x.action(sip.id)}`);
    },
  },
  'POST /api/contacts_lists': { done: async (x) => req(asKey('sipadmin', x.sipadmin), '/api/contacts_lists', { json: { title: u('list'), description: 'audited' } }) },
  'PUT /api/contacts_lists/:id': { done: async (x) => req(asKey('sipadmin', x.sipadmin), `/api/contacts_lists/${await x.contactsList()}`, { json: { title: u('list'), description: 'audited' } }) },
  'DELETE /api/contacts_lists/:id': { done: async (x) => req(asKey('sipadmin', x.sipadmin), `/api/contacts_lists/${await x.contactsList()}`) },
  'POST /api/contacts_lists/:id/contacts/:contact_id': { done: async (x) => req(asKey('sipadmin', x.sipadmin), `/api/contacts_lists/${await x.contactsList()}/contacts/${(await x.sip()).id}`) },
  'DELETE /api/contacts_lists/:id/contacts/:contact_id': {
    done: async (x) => {
      const [list, sip] = [await x.contactsList(), await x.sip()];
      made(await call(`${x.w.server.url}/api/contacts_lists/${list}/contacts/${sip.id}`, { method: 'POST', headers: apiKey(x.sipadmin.key) }));
      return req(asKey('sipadmin', x.sipadmin), `/api/contacts_lists/${list}/contacts/${sip.id}`);
    },
  },
  'POST /api/accounts/:id/contacts_lists/:contacts_list_id': { done: async (x) => req(asKey('sipadmin', x.sipadmin), `/api/accounts/${(await x.sip()).id}/contacts_lists/${await x.contactsList()}`) },
  'DELETE /api/accounts/:id/contacts_lists/:contacts_list_id': {
    done: async (x) => {
      const [list, sip] = [await x.contactsList(), await x.sip()];
      made(await call(`${x.w.server.url}/api/accounts/${sip.id}/contacts_lists/${list}`, { method: 'POST', headers: apiKey(x.sipadmin.key) }));
      return req(asKey('sipadmin', x.sipadmin), `/api/accounts/${sip.id}/contacts_lists/${list}`);
    },
  },
  'POST /api/account_types': { done: async (x) => req(asKey('sipadmin', x.sipadmin), '/api/account_types', { json: { key: u('type').toLowerCase() } }) },
  'PUT /api/account_types/:id': { done: async (x) => req(asKey('sipadmin', x.sipadmin), `/api/account_types/${await x.accountType()}`, { json: { key: u('type').toLowerCase() } }) },
  'DELETE /api/account_types/:id': { done: async (x) => req(asKey('sipadmin', x.sipadmin), `/api/account_types/${await x.accountType()}`) },
  'POST /api/accounts/:id/types/:type_id': { done: async (x) => req(asKey('sipadmin', x.sipadmin), `/api/accounts/${(await x.sip()).id}/types/${await x.accountType()}`) },
  'DELETE /api/accounts/:id/types/:type_id': {
    done: async (x) => {
      const [type, sip] = [await x.accountType(), await x.sip()];
      made(await call(`${x.w.server.url}/api/accounts/${sip.id}/types/${type}`, { method: 'POST', headers: apiKey(x.sipadmin.key) }));
      return req(asKey('sipadmin', x.sipadmin), `/api/accounts/${sip.id}/types/${type}`);
    },
  },
  // The console's forms.
  'POST /console/tenants': consoleForm(() => '/console/tenants', () => ({ name: u('Console tenant') })),
  'POST /console/tenants/:id/requirement': consoleForm((x) => `/console/tenants/${x.site.id}/requirement`, () => ({ requirement: '0' })),
  'POST /console/tenants/:id/accounts': consoleForm((x) => `/console/tenants/${x.site.id}/accounts`, () => ({ email: `${u('c')}@audit.test`, password: PASSWORD, role: 'agent' })),
  ...Object.fromEntries(
    ['block', 'unblock', 'unlock', 'reset-2fa'].map((verb) => [`POST /console/accounts/:id/${verb}`, consoleForm(async (x) => `/console/accounts/${(await x.agent({ twoFactor: verb === 'reset-2fa' })).id}/${verb}`, () => (CONFIRMS.includes(verb) ? CONFIRMED : {}))]),
  ),
  'POST /console/limits': consoleForm(() => '/console/limits', (x) => ({ tenant: x.site.sid, name: u('limit_'), bucket_name_0: 'b', bucket_max_0: '5', bucket_every_0: '1', bucket_unit_0: 'm' })),
  'POST /console/limits/:sid/update': consoleForm(async (x) => `/console/limits/${await x.limitSid()}/update?tenant=${x.site.sid}`, () => ({ description: 'audited', bucket_name_0: 'b', bucket_max_0: '6', bucket_every_0: '1', bucket_unit_0: 'm' })),
  'POST /console/limits/:sid/delete': consoleForm(async (x) => `/console/limits/${await x.limitSid()}/delete?tenant=${x.site.sid}`, () => CONFIRMED),
  'POST /console/tenants/:id/sip-domains': consoleForm((x) => `/console/tenants/${x.site.id}/sip-domains`, () => ({ domain: `${u('c')}.audit.test` })),
  'POST /console/sip/:domain/accounts': consoleForm((x) => `/console/sip/${x.domain}/accounts`, () => ({ username: u('c'), password: PASSWORD, algorithm: 'SHA-256', display_name: '', email: '', phone: '' })),
  ...Object.fromEntries(
    ['block', 'unblock', 'activate', 'deactivate', 'delete'].map((verb) => [`POST /console/sip-accounts/:id/${verb}`, consoleForm(async (x) => `/console/sip-accounts/${(await x.sip()).id}/${verb}`, () => (CONFIRMS.includes(verb) ? CONFIRMED : {}))]),
  ),
  // An account's own security pages: the refusal is the same post by someone it does not allow.
  // In a site of its own: a site that states any requirement keeps 2FA on.
  'POST /account/security/2fa/off': securityForm(async (x) => ({ agent: await x.agent({ twoFactor: true, site: await x.newSite() }), path: '/account/security/2fa/off', fields: CONFIRMED }), async (x) => {
    // A site that requires 2FA refuses turning it off (403).
    const made = await call(`${x.w.server.url}/admin/tenants`, { headers: x.w.admin, json: { name: u('strict'), parent: String(x.site.id) } });
    await call(`${x.w.server.url}/global/siteAuthenticationConfigs`, { method: 'PUT', headers: x.w.admin, json: { siteId: made.body.id, '2FARequirement': 1 } });
    const account = await call(`${x.w.server.url}/admin/accounts`, { headers: x.w.admin, json: { tenant: String(made.body.id), email: `${u('strict')}@audit.test`, password: PASSWORD, role: 'agent' } });
    const key = (await call(`${x.w.server.url}/admin/accounts/${account.body.id}/api-keys`, { headers: x.w.admin, json: {} })).body.apiKey;
    await call(`${x.w.server.url}/global/agent2faConfigs`, { headers: apiKey(key), json: twoFactor() });
    return req({ role: 'agent', headers: { cookie: x.page({ session: await x.sessionOf(account.body.id) }).cookie } }, '/account/security/2fa/off', { form: CONFIRMED });
  }),
  'POST /account/security/2fa/on': securityForm(async (x) => ({ agent: await x.agent(), path: '/account/security/2fa/on' }), undefined),
  'POST /account/security/2fa/confirm': securityForm(async (x) => {
    // The enrolment started (its secret in the gh_enrol cookie), then confirmed with the code of that secret.
    const agent = await x.agent();
    const { cookie, csrf } = x.page({ session: await x.sessionOf(agent.id) });
    const on = await call(`${x.w.server.url}/account/security/2fa/on`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }).toString() });
    made(on);
    const enrol = /gh_enrol=([^;]+)/.exec(on.headers.get('set-cookie') ?? '')![1]!;
    const { secretKey } = JSON.parse(Buffer.from(enrol, 'base64url').toString('utf8')) as { secretKey: string };
    return { agent, path: '/account/security/2fa/confirm', fields: { code: nowCode(secretKey) }, cookie: `gh_enrol=${enrol}` };
  }, undefined),
  'POST /account/security/backup-code': securityForm(async (x) => ({ agent: await x.agent({ twoFactor: true }), path: '/account/security/backup-code' }), undefined),
  'POST /account/security/devices/:id/revoke': securityForm(
    async (x) => {
      const agent = await x.agent();
      return { agent, path: `/account/security/devices/${await x.device(agent.id)}/revoke`, fields: CONFIRMED };
    },
    // Another account's device: not the caller's to revoke.
    async (x) => {
      const [agent, other] = [await x.agent(), await x.agent()];
      return req({ role: 'agent', headers: { cookie: x.page({ session: await x.sessionOf(agent.id) }).cookie } }, `/account/security/devices/${await x.device(other.id)}/revoke`, { form: CONFIRMED });
    },
  ),
  'POST /account/security/devices/revoke-all': securityForm(async (x) => {
    const agent = await x.agent();
    await x.device(agent.id);
    return { agent, path: '/account/security/devices/revoke-all', fields: CONFIRMED };
  }, undefined),
  // Credentials, password resets and deletions (issue 25): in sites of their own where they would take away the test's.
  'DELETE /admin/accounts/:id/api-keys': {
    done: async (x) => req('admin', `/admin/accounts/${(await x.agent()).id}/api-keys`),
    // Everyone may revoke its own: an agent revoking another's is refused.
    refused: async (x) => req(asKey('agent', await x.agent()), `/admin/accounts/${(await x.agent()).id}/api-keys`),
  },
  'DELETE /admin/tenants/:tenant/auth-tokens': { done: async (x) => req('admin', `/admin/tenants/${await x.newSite()}/auth-tokens`) },
  'POST /admin/accounts/:id/password-reset': { done: async (x) => req('admin', `/admin/accounts/${(await x.agent()).id}/password-reset`, { json: { password: NEW_PASSWORD } }) },
  'DELETE /admin/accounts/:id': { done: async (x) => req('admin', `/admin/accounts/${(await x.agent()).id}`) },
  'DELETE /admin/tenants/:tenant': { done: async (x) => req('admin', `/admin/tenants/${await x.newSite()}`) },
  // Tenant webhooks.
  'POST /admin/tenants/:tenant/webhooks': { done: async (x) => req('admin', `/admin/tenants/${x.site.id}/webhooks`, { json: { url: 'https://127.0.0.1:9/audit', events: ['login.unlocked'] } }) },
  'DELETE /admin/webhooks/:id': { done: async (x) => req('admin', `/admin/webhooks/${await x.webhook()}`) },
  'POST /admin/webhooks/:id/deliveries/:deliveryId/resend': {
    done: async (x) => {
      const { webhook, delivery } = await x.delivery();
      return req('admin', `/admin/webhooks/${webhook}/deliveries/${delivery}/resend`);
    },
  },
  // The fraud guard, as the site's own credentials.
  'POST /2fa/fraud/blocked-prefixes/lift': { done: async (x) => req('tenant', '/2fa/fraud/blocked-prefixes/lift', { json: { prefix: await x.blockedPrefix(), accountSid: x.site.sid } }) },
  'PUT /2fa/fraud/safe-numbers': { done: async (x) => req('tenant', '/2fa/fraud/safe-numbers', { json: { numbers: ['+447712000001'], accountSid: x.site.sid } }) },
  // Passkeys: the caller's own; another agent's is refused (404).
  'POST /passkeys': {
    done: async (x) => {
      const agent = await x.agent();
      const options = (await call(`${x.w.server.url}/passkeys/registration-options`, { method: 'POST', headers: apiKey(agent.key) })).body;
      return req(asKey('agent', agent), '/passkeys', { json: { response: softAttestation(options, x.origin), name: 'audited' } });
    },
  },
  'POST /account/security/passkeys': securityForm(async (x) => {
    const agent = await x.agent();
    const { cookie, csrf } = x.page({ session: await x.sessionOf(agent.id) });
    const options = await call(`${x.w.server.url}/account/security/passkeys/options`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }).toString() });
    made(options);
    return { agent, path: '/account/security/passkeys', fields: { attestation: JSON.stringify(softAttestation(options.body, x.origin)), name: 'audited' } };
  }, undefined),
  'PATCH /passkeys/:id': {
    done: async (x) => {
      const agent = await x.agent();
      return req(asKey('agent', agent), `/passkeys/${await x.passkey(agent.id)}`, { json: { name: 'audited' } });
    },
    refused: async (x) => req(asKey('agent', await x.agent()), `/passkeys/${await x.passkey((await x.agent()).id)}`, { json: { name: 'audited' } }),
  },
  'DELETE /passkeys/:id': {
    done: async (x) => {
      const agent = await x.agent();
      return req(asKey('agent', agent), `/passkeys/${await x.passkey(agent.id)}`);
    },
    refused: async (x) => req(asKey('agent', await x.agent()), `/passkeys/${await x.passkey((await x.agent()).id)}`),
  },
  'POST /account/security/passkeys/:id/rename': securityForm(
    async (x) => {
      const agent = await x.agent();
      return { agent, path: `/account/security/passkeys/${await x.passkey(agent.id)}/rename`, fields: { name: 'audited' } };
    },
    async (x) => {
      const [agent, other] = [await x.agent(), await x.agent()];
      return req({ role: 'agent', headers: { cookie: x.page({ session: await x.sessionOf(agent.id) }).cookie } }, `/account/security/passkeys/${await x.passkey(other.id)}/rename`, { form: { name: 'audited' } });
    },
  ),
  'POST /account/security/passkeys/:id/remove': securityForm(
    async (x) => {
      const agent = await x.agent();
      return { agent, path: `/account/security/passkeys/${await x.passkey(agent.id)}/remove`, fields: { confirm: 'yes' } };
    },
    async (x) => {
      const [agent, other] = [await x.agent(), await x.agent()];
      return req({ role: 'agent', headers: { cookie: x.page({ session: await x.sessionOf(agent.id) }).cookie } }, `/account/security/passkeys/${await x.passkey(other.id)}/remove`, { form: { confirm: 'yes' } });
    },
  ),
  'POST /account/security/password': securityForm(async (x) => ({ agent: await x.agent(), path: '/account/security/password', fields: { current: PASSWORD, password: NEW_PASSWORD, repeat: NEW_PASSWORD } }), undefined),
  // The console's new forms.
  'POST /console/fraud/lift': consoleForm(async (x) => `/console/fraud/lift?tenant=${x.site.sid}&prefix=${encodeURIComponent(await x.blockedPrefix())}`, () => CONFIRMED),
  'POST /console/fraud/safe': consoleForm(() => '/console/fraud/safe', (x) => ({ tenant: x.site.sid, numbers: '+447712000002' })),
  'POST /console/webhooks': consoleForm(() => '/console/webhooks', (x) => ({ tenant: x.site.sid, url: 'https://127.0.0.1:9/console', events: 'login.unlocked' })),
  'POST /console/webhooks/:id/delete': consoleForm(async (x) => `/console/webhooks/${await x.webhook()}/delete`, () => ({ confirm: 'yes' })),
  'POST /console/webhooks/:id/deliveries/:delivery/resend': consoleForm(async (x) => {
    const { webhook, delivery } = await x.delivery();
    return `/console/webhooks/${webhook}/deliveries/${delivery}/resend`;
  }),
  'POST /console/credentials/api-keys/:id/revoke': consoleForm(async (x) => `/console/credentials/api-keys/${await x.apiKeyId()}/revoke`, () => ({ confirm: 'yes' })),
  'POST /console/credentials/accounts/:id/revoke-keys': consoleForm(async (x) => `/console/credentials/accounts/${(await x.agent()).id}/revoke-keys`, () => ({ confirm: 'yes' })),
  'POST /console/credentials/auth-tokens/:id/revoke': consoleForm(async (x) => `/console/credentials/auth-tokens/${await x.authTokenId()}/revoke`, () => ({ confirm: 'yes' })),
  'POST /console/credentials/tenants/:id/revoke-tokens': consoleForm(async (x) => `/console/credentials/tenants/${await x.newSite()}/revoke-tokens`, () => ({ confirm: 'yes' })),
  'POST /console/credentials/accounts/:id/delete': consoleForm(async (x) => `/console/credentials/accounts/${(await x.agent()).id}/delete`, () => ({ confirm: 'yes' })),
  'POST /console/credentials/tenants/:id/delete': consoleForm(async (x) => `/console/credentials/tenants/${await x.newSite()}/delete`, () => ({ confirm: 'yes' })),
  'POST /console/credentials/accounts/:id/reset-password': consoleForm(async (x) => `/console/credentials/accounts/${(await x.agent()).id}/reset-password`, () => ({ confirm: 'yes', password: NEW_PASSWORD })),
};

/** Routes whose every caller may use them on its own account: no refused caller exists, said here. */
const NO_REFUSED_CALLER: Record<string, string> = {
  'POST /account/security/2fa/on': 'every signed-in account may start its own enrolment',
  'POST /account/security/2fa/confirm': 'every signed-in account may confirm its own enrolment (a wrong code is tested as the done call\'s refusal)',
  'POST /account/security/backup-code': 'every signed-in account with 2FA may make its own backup code',
  'POST /account/security/devices/revoke-all': 'every signed-in account may forget its own devices',
  'GET /api/accounts/me/api_key': 'every account may mint its own key (credentials.mint, own), and the route names no other',
  'POST /account/security/passkeys': 'every signed-in account may add a passkey of its own',
  'POST /account/security/password': 'every signed-in account may change its own password (a wrong current password is a 400 on the form)',
};

/** Roles tried, in order, for the generic refusal: the first whose cell of the route's capability is empty. */
const REFUSERS: Role[] = ['agent', 'sip', 'siteadmin', 'sipadmin', 'superagent', 'tenant'];

interface Route {
  method: string;
  /** Fastify's form: `/admin/tenants/:tenant`. */
  url: string;
  auth: string[];
  capability: Capability | null;
  public: boolean;
}

const keyOf = (r: { method: string; url: string }) => `${r.method} ${r.url}`;
const fastifyUrl = (path: string) => path.replaceAll(':', '::').replace(/\{(\w+)\}/g, ':$1');

for (const dialect of DIALECTS) {
  describe(`the admin audit trail over every state-changing route on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let w: VoiceWorld;
    let x: Ctx;
    let routes: Route[];
    let excluded: Map<string, string>;
    const standard = {} as Record<Role, Record<string, string>>;
    let tenantBasic: Record<string, string>;

    before(async () => {
      w = await startVoiceWorld(dialect, { GATEHOUSE_FLEXISIP_DANGEROUS_ENDPOINTS: 'true', GATEHOUSE_REGISTRAR_SECRET: 'registrar-secret-for-the-audit-test', GATEHOUSE_SMS_CHANNEL: 'outbox', GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE: 'true', GATEHOUSE_FRAUD_MIN_SENDS: String(FRAUD_MIN_SENDS) });
      const core = w.server.runtime.core;
      const db = w.server.runtime.storage.db;
      const url = w.server.url;
      const must = async (what: string, res: Promise<Reply>) => {
        const r = await res;
        assert.ok(r.status >= 200 && r.status < 300, `${what}: ${r.status} ${r.text}`);
        return r.body;
      };
      const api = (method: string, path: string, headers: Record<string, string>, json?: unknown) => call(`${url}${path}`, { method, headers, ...(json !== undefined && { json }) });
      const site = await db.selectFrom('tenants').select(['id', 'sid']).where('id', '=', w.siteA).executeTakeFirstOrThrow();
      const domain = `${u('a')}.audit.test`;
      await must('domain', api('POST', `/admin/tenants/${site.id}/sip-domains`, w.admin, { domain }));
      const token = await must('auth token', api('POST', `/admin/tenants/${site.id}/auth-tokens`, w.admin));
      tenantBasic = basic(site.sid, token.authToken);
      const account = async (role: string, fields: Record<string, unknown> = {}, tenant?: number): Promise<Person> => {
        const email = `${u(role)}@audit.test`;
        const sip = role === 'sip' || role === 'sipadmin';
        const username = u(role);
        const made = sip
          ? await must(role, api('POST', '/api/accounts', w.admin, { username, domain, email, password: PASSWORD, algorithm: 'SHA-256', activated: true, admin: role === 'sipadmin', dtmf_protocol: 'sipinfo', ...fields }))
          : await must(role, api('POST', '/admin/accounts', w.admin, { tenant: String(tenant ?? (role === 'superagent' ? w.partner : site.id)), email, password: PASSWORD, role }));
        const key = await must('key', api('POST', `/admin/accounts/${made.id}/api-keys`, w.admin, {}));
        return { id: made.id, key: key.apiKey, email, ...(sip && { username }) };
      };
      const withTwoFactor = async (p: Person, kind: 'agent' | 'superagent') => {
        const path = kind === 'agent' ? '/global/agent2faConfigs' : '/partnerglobal/superagent2faConfigs';
        await must('2fa', api('POST', path, apiKey(p.key), twoFactor()));
        return p;
      };
      const sipadmin = await account('sipadmin');
      const people = { superagent: await account('superagent'), agent: await account('agent'), siteadmin: await account('siteadmin'), sipadmin, sip: await account('sip') };
      standard.admin = w.admin;
      standard.tenant = tenantBasic;
      for (const role of ['superagent', 'agent', 'siteadmin', 'sipadmin', 'sip'] as const) standard[role] = apiKey(people[role].key);
      const consoleKey = w.server.admin.apiKey;
      const page = (who: { session?: string; consoleKey?: string }) => {
        const cookie = [who.session && `gh_session=${who.session}`, who.consoleKey && `gh_console=${who.consoleKey}`].filter(Boolean).join('; ');
        return { cookie, csrf: core.csrf.token(`session\0${who.session ?? ''}\0${who.consoleKey ?? ''}`) };
      };
      consoleHeaders = () => ({ cookie: page({ consoleKey }).cookie });
      const limitSid = async () => (await must('limit', api('POST', '/2fa/limits', tenantBasic, { name: u('limit_'), buckets: [{ name: 'b', max: '5', interval: '60' }] }))).data.sid as string;
      const assignedNumber = async () => {
        const number = w.newNumber();
        await w.assign(number, site.id);
        return number;
      };
      x = {
        w,
        site,
        domain,
        sipadmin,
        agent: async (o = {}) => (o.twoFactor ? withTwoFactor(await account('agent', {}, o.site), 'agent') : account('agent', {}, o.site)),
        newSite: async () => (await must('site', api('POST', '/admin/tenants', w.admin, { name: u('site'), parent: String(w.partner) }))).id,
        siteTwilio: () => {
          const accountSid = `AC${randomBytes(16).toString('hex')}`;
          const authToken = randomBytes(16).toString('hex');
          w.twilio.addAccount(accountSid, authToken);
          return { accountSid, authToken };
        },
        superagent: async (o = {}) => (o.twoFactor ? withTwoFactor(await account('superagent'), 'superagent') : account('superagent')),
        sip: async () => account('sip'),
        apiKeyId: async () => (await must('key', api('POST', `/admin/accounts/${people.agent.id}/api-keys`, w.admin, {}))).id,
        authTokenId: async () => (await must('token', api('POST', `/admin/tenants/${site.id}/auth-tokens`, w.admin))).id,
        limitSid,
        assignedNumber,
        lineId: async () => (await must('line', w.line(site.id, { name: u('line'), phoneNumber: await assignedNumber() }))).id,
        device: async (accountId) => {
          await core.trustedDevices.issue({ id: accountId, tenantId: site.id }, '192.0.2.1', 'audit');
          return Number((await db.selectFrom('trusted_devices').select('id').where('account_id', '=', accountId).orderBy('id', 'desc').executeTakeFirstOrThrow()).id);
        },
        contactsList: async () => (await must('list', api('POST', '/api/contacts_lists', apiKey(sipadmin.key), { title: u('list'), description: 'audit' }))).id,
        accountType: async () => (await must('type', api('POST', '/api/account_types', apiKey(sipadmin.key), { key: u('type').toLowerCase() }))).id,
        action: async (sipId) => (await must('action', api('POST', `/api/accounts/${sipId}/actions`, apiKey(sipadmin.key), { key: 'door', code: '9' }))).id,
        creationToken: async () => (await must('creation token', api('POST', `/api/account_creation_tokens?domain=${domain}`, w.admin))).token,
        codeSentTo: async (to) => {
          // Email through the outbox; SMS through (the fake) Twilio.
          const mail = await db.selectFrom('outbox_messages').select('body').where('to', '=', to).orderBy('id', 'desc').executeTakeFirst();
          const sms = w.twilio.requests.filter((r) => r.form.To === to).at(-1)?.form.Body;
          const text = mail?.body ?? sms;
          assert.ok(text, `no message to ${to}`);
          return /\b(\d{4,8})\b/.exec(text)![1]!;
        },
        page,
        sessionOf: async (accountId) => (await core.credentials.signJwt(accountId)).token,
        passkey: async (accountId) =>
          Number((await db.insertInto('passkeys').values({ account_id: accountId, credential_id: u('cred'), public_key: 'AA', counter: 0, transports: 'internal', backed_up: 0, device_type: 'singleDevice', aaguid: '00000000-0000-0000-0000-000000000000', name: 'audit', created_at: Date.now(), last_used_at: null }).returning('id').executeTakeFirstOrThrow()).id),
        origin: w.server.config.passkeys!.origins[0]!,
        blockedPrefix: async () => {
          // UK mobiles +44-79x (the countries recipe allows 1 and 44): called (SMS goes to the local outbox here, which the
          // guard does not watch) and never verified until the guard refuses (456).
          const digit = blocked++;
          const answers: string[] = [];
          for (let i = 0; i <= FRAUD_MIN_SENDS + 1; i++) {
            const to = `+4479${digit}${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
            const res = await api('POST', '/2fa/send', tenantBasic, { service: 'audit', from: '+14155551111', to, body: 'code {code}', channel: 'call' });
            if (res.body?.code === 456) return `+44-79${digit}`;
            answers.push(`${res.status} ${res.text.slice(0, 120)}`);
          }
          throw new Error(`the fraud guard did not block +44-79${digit}: ${answers.join('; ')}`);
        },
        webhook: async () => (await must('webhook', api('POST', `/admin/tenants/${site.id}/webhooks`, w.admin, { url: 'https://127.0.0.1:9/audit', events: ['login.unlocked'] }))).id,
        delivery: async () => {
          const webhook = (await must('webhook', api('POST', `/admin/tenants/${site.id}/webhooks`, w.admin, { url: 'https://127.0.0.1:9/audit', events: ['login.unlocked'] }))).id as string;
          // An unlock raises login.unlocked only for a locked account: the event is raised as the lock would.
          await core.events.unlocked(site.id, (await account('agent')).id, 'operator');
          // A resend while a worker posts the delivery is refused (409), so the recipe waits for the first attempt
          // to end: its job queued again for the retry 5 s later.
          for (let i = 0; i < 200; i++) {
            const [delivery] = (await must('deliveries', api('GET', `/admin/webhooks/${webhook}/deliveries`, w.admin))).deliveries;
            const job = delivery && delivery.attempts >= 1 && (await db.selectFrom('delivery_jobs').select('state').where('key', '=', `webhook:${delivery.id}`).executeTakeFirst());
            if (job && job.state === 'queued') return { webhook, delivery: delivery.id as string };
            await new Promise((r) => setTimeout(r, 50));
          }
          throw new Error('no attempted delivery of login.unlocked within 10 s');
        },
      };

      // Every state-changing route the server serves: /openapi.json's, and the pages' (app.auditedRoutes).
      const doc = (await call(`${url}/openapi.json`)).body as { paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>> };
      const capabilities = new Map(w.server.app.routeCapabilities.map((r) => [keyOf(r), r.capability]));
      const hooked = w.server.app.auditedRoutes;
      excluded = new Map(hooked.filter((r) => r.notAudited).map((r) => [keyOf(r), r.notAudited!]));
      const seen = new Map<string, Route>();
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          const route = { method: method.toUpperCase(), url: fastifyUrl(path) };
          if (route.method === 'GET' && !w.server.app.stateChangingGets.includes(keyOf(route))) continue;
          const auth = (op.security ?? []).flatMap((s) => Object.keys(s));
          seen.set(keyOf(route), { ...route, auth, capability: capabilities.get(keyOf(route)) ?? null, public: auth.length === 0 });
        }
      }
      for (const r of hooked) if (!seen.has(keyOf(r))) seen.set(keyOf(r), { method: r.method, url: r.url, auth: [], capability: capabilities.get(keyOf(r)) ?? null, public: r.public });
      // Deletions last: they may take away what an earlier route's recipe relies on.
      routes = [...seen.values()].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    });
    after(() => w?.close());

    const headersOf = (who: Who, route: Route): { role: string; headers: Record<string, string> } => {
      if (typeof who === 'object') return { role: who.role, headers: who.headers };
      if (who === 'anonymous') return { role: 'anonymous', headers: {} };
      return { role: who, headers: standard[who] };
    };

    const lastId = async () => Number((await w.server.runtime.storage.db.selectFrom('admin_changes').select((e) => e.fn.max('id').as('id')).executeTakeFirst())?.id ?? 0);
    const since = (id: number) => w.server.runtime.storage.db.selectFrom('admin_changes').selectAll().where('id', '>', id).orderBy('id').execute();

    /** Sends one request and answers it with the records it left. */
    async function send(route: Route, r: Req): Promise<{ res: Reply; rows: Awaited<ReturnType<typeof since>>; role: string; sent: string }> {
      const { role, headers } = headersOf(r.as, route);
      let init: Parameters<typeof call>[1] = { method: route.method, headers: { ...headers } };
      if (r.form) {
        const cookie = headers.cookie ?? '';
        const session = /gh_session=([^;]+)/.exec(cookie)?.[1];
        const consoleKey = /gh_console=([^;]+)/.exec(cookie)?.[1];
        const fields = { ...r.form, _csrf: x.page({ session, consoleKey }).csrf };
        init = { ...init, headers: { ...init.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() };
      } else if (r.json !== undefined) init = { ...init, json: r.json };
      const before = await lastId();
      const res = await call(`${w.server.url}${r.path}`, init);
      return { res, rows: await since(before), role, sent: JSON.stringify(r.json ?? r.form ?? {}) };
    }

    /** The values a record must never hold: what the request and the answer carried under a secret's name. */
    function secretsIn(...bodies: unknown[]): string[] {
      const found: string[] = [];
      const walk = (v: unknown, key = '') => {
        if (typeof v === 'string' && /password|secret|token|code|key/i.test(key) && v.length >= 4) found.push(v);
        else if (typeof v === 'object' && v !== null) for (const [k, inner] of Object.entries(v)) walk(inner, k);
      };
      for (const b of bodies) walk(b);
      return found;
    }

    const generic = (route: Route): Req => {
      const role = (['admin', 'tenant', 'superagent', 'sipadmin', 'sip', 'agent'] as Role[]).find((r) => route.capability && scopeOf({ role: r }, route.capability) && (r !== 'tenant' || route.auth.includes('basic'))) ?? 'admin';
      return req(route.public ? 'anonymous' : role, route.url.replace(/:(\w+)/g, '1'), route.method === 'GET' || route.method === 'DELETE' ? {} : { json: {} });
    };

    test('the excluded routes are exactly the ones listed here, each with its reason', () => {
      assert.deepEqual(Object.fromEntries([...excluded].sort()), Object.fromEntries(Object.entries(EXCLUDED).sort()));
    });

    test('every state-changing route called once by an allowed caller leaves exactly one record of it, done', async (t) => {
      const failures: string[] = [];
      let done = 0;
      for (const route of routes.filter((r) => !excluded.has(keyOf(r)))) {
        const recipe = RECIPES[keyOf(route)];
        const r = recipe ? await recipe.done(x) : generic(route);
        const { res, rows, role, sent } = await send(route, r);
        const label = `${keyOf(route)} as ${role} → ${res.status}`;
        if (!recipe) failures.push(`${label}: no recipe in test/faces/http/audit-trail.test.ts RECIPES: add one that succeeds (${res.text.slice(0, 160)})`);
        else if (res.status >= 400) failures.push(`${label}: the allowed call did not succeed: ${res.text.slice(0, 300)}`);
        if (rows.length !== 1) {
          failures.push(`${label}: ${rows.length} records (${rows.map((row) => row.action).join(', ')})`);
          continue;
        }
        const row = rows[0]!;
        const expected = { action: `${route.method} ${route.url.replaceAll('::', ':')}`, outcome: res.status >= 400 ? 'refused' : 'done', status: res.status, actor_role: role, client_address: '127.0.0.1' };
        const got = { action: row.action, outcome: row.outcome, status: Number(row.status), actor_role: row.actor_role, client_address: row.client_address };
        if (JSON.stringify(got) !== JSON.stringify(expected)) failures.push(`${label}: record ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
        if (role !== 'anonymous' && role !== 'tenant' && row.actor_account_id === null) failures.push(`${label}: the record names no account`);
        if (res.headers.get('x-request-id') !== row.request_id) failures.push(`${label}: request id ${row.request_id}, answer's ${res.headers.get('x-request-id')}`);
        const leaked = secretsIn(JSON.parse(sent), res.body).filter((s) => JSON.stringify(row).includes(s));
        if (leaked.length) failures.push(`${label}: the record holds a secret the request or answer carried: ${JSON.stringify(row)}`);
        if (res.status < 400) done++;
      }
      t.diagnostic(`${done} routes called successfully, each leaving one record`);
      assert.deepEqual(failures, []);
    });

    test('a refused request whose path carries a NUL is recorded all the same (PostgreSQL refuses NUL in text)', async () => {
      const route = routes.find((r) => keyOf(r) === 'DELETE /admin/accounts/:id/api-keys')!;
      const { res, rows } = await send(route, req('admin', '/admin/accounts/%29%24%22%00/api-keys'));
      assert.equal(res.status, 400, res.text);
      assert.equal(rows.length, 1, 'one record of the refusal');
      assert.equal(rows[0]!.outcome, 'refused');
      assert.ok(!String(rows[0]!.object_id ?? '').includes('\0'));
    });

    test('every state-changing route called by a caller it refuses leaves exactly one refusal record, with its error code', async (t) => {
      const failures: string[] = [];
      const how: Record<string, number> = {};
      for (const route of routes.filter((r) => !excluded.has(keyOf(r)))) {
        if (NO_REFUSED_CALLER[keyOf(route)]) continue;
        const recipe = RECIPES[keyOf(route)];
        let r: Req | null = null;
        if (recipe?.refused) r = await recipe.refused(x);
        else if (route.public) {
          // Nobody identified: a refusal leaves no record (src/faces/http/audit-trail.ts); a malformed body is refused.
          const { res, rows } = await send(route, { ...(recipe ? await recipe.done(x) : generic(route)), json: { username: '' } });
          if (res.status < 400 || rows.length !== 0) failures.push(`${keyOf(route)} anonymous, refused → ${res.status}: ${rows.length} records, expected none`);
          how['public, none recorded'] = (how['public, none recorded'] ?? 0) + 1;
          continue;
        } else if (route.capability) {
          const refuser = REFUSERS.find((role) => !scopeOf({ role }, route.capability!) && (role !== 'tenant' || route.auth.includes('basic')));
          if (refuser) r = { ...(recipe ? await recipe.done(x) : generic(route)), as: refuser };
        }
        if (!r) {
          failures.push(`${keyOf(route)}: no caller is refused by its capability: give its recipe a refused() or list it in NO_REFUSED_CALLER with the reason`);
          continue;
        }
        const { res, rows, role } = await send(route, r);
        const label = `${keyOf(route)} as ${role} → ${res.status}`;
        how[String(res.status)] = (how[String(res.status)] ?? 0) + 1;
        if (res.status < 400) failures.push(`${label}: not refused: ${res.text.slice(0, 200)}`);
        if (rows.length !== 1) {
          failures.push(`${label}: ${rows.length} records`);
          continue;
        }
        const row = rows[0]!;
        if (row.outcome !== 'refused' || Number(row.status) !== res.status || !row.error_code || row.actor_role !== role) failures.push(`${label}: record ${JSON.stringify(row)}`);
      }
      t.diagnostic(`refusals by status: ${JSON.stringify(how)}; no refused caller by design: ${Object.keys(NO_REFUSED_CALLER).length}`);
      assert.deepEqual(failures, []);
    });
  });
}
