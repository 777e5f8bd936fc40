/**
 * The world the reach test aims at, built once per dialect on the real server: the callers live in
 * site A (partner P's site); every other tenant holds one of each object a route can name, so that a
 * request from site A can be aimed at its parent's, its sibling's, another partner's and the
 * bootstrap tenant's objects, and (for the SIP roles) at a second SIP domain of site A itself.
 *
 *   bootstrap (deployment admin) ── partner P ── site A  (callers; SIP domains dA and dA2)
 *                                │            └─ site B  (sibling)
 *                                └─ partner Q ── site C
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Role } from '../../../src/core/roles.js';
import { type Reply, apiKey, basic, bearer, call } from '../../helpers/server.js';
import type { Dialect } from '../../helpers/services.js';
import { nowCode } from '../comm100/twofactor-world.js';
import { type VoiceWorld, callSid, startVoiceWorld } from '../voice/voice-world.js';

const idp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ISSUER = 'https://idp.reach.test';
export const SECRET = 'JBSWY3DPEHPK3PXP';

/** One of each object a route names, as a request writes it. Absent: the target has none of that kind. */
export interface Objects {
  tenant?: { id: number; sid: string };
  domain?: string;
  /** Accounts by role (an agent, a super agent, a Flexisip admin, a Flexisip user). */
  account: Partial<Record<'agent' | 'superagent' | 'sipadmin' | 'sip', { id: number; email: string; address?: string }>>;
  apiKeyId?: number;
  authTokenId?: number;
  /** A Flexisip auth token its SIP user attached (not yet redeemed). */
  sipAuthToken?: string;
  trustedDeviceId?: number;
  /** A passkey of the agent (a stored row: the routes that name it never check its key). */
  passkeyId?: number;
  limitSid?: string;
  requestId?: string;
  phoneNumber?: string;
  lineId?: number;
  lineName?: string;
  callSid?: string;
  contactsListId?: number;
  accountTypeId?: number;
  actionId?: number;
  statsMessageId?: string;
  statsCallId?: string;
  /** A webhook (wh_…) listening only for login.unlocked, so nothing the reach test does posts to it. */
  webhookId?: string;
}

export interface Caller {
  role: Role;
  /** The caller's own account, when it has one. */
  self?: { id: number; email: string; address?: string };
  /** Headers for a route accepting these schemes (openapi security names). */
  headers(auth: string[]): Record<string, string>;
}

export interface Target {
  name: string;
  /** The roles this target is outside the reach of. */
  roles: Role[];
  objects: Objects;
}

export interface ReachWorld {
  w: VoiceWorld;
  url: string;
  home: Objects;
  callers: Caller[];
  targets: Target[];
  /** A number assigned to site A with no line on it, for each request that creates a line. */
  spareNumber(): string;
  close(): Promise<void>;
}

let n = 0;
export const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${(n++).toString(36)}${randomBytes(2).toString('hex')}`;

export async function startReachWorld(dialect: Dialect): Promise<ReachWorld> {
  const w = await startVoiceWorld(dialect, {
    GATEHOUSE_EXTERNAL_JWT_ISSUER: ISSUER,
    GATEHOUSE_EXTERNAL_JWT_PUBLIC_KEY: idp.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    // The targets' webhooks point at 127.0.0.1 (no DNS here); none is ever posted to.
    GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE: 'true',
  });
  const { server, admin } = w;
  const url = server.url;
  const core = server.runtime.core;
  const db = server.runtime.storage.db;
  const must = async (what: string, res: Promise<Reply>, ok = [200, 201, 204]) => {
    const r = await res;
    if (!ok.includes(r.status)) throw new Error(`reach world: ${what}: ${r.status} ${r.text}`);
    return r.body;
  };
  const api = (method: string, path: string, headers: Record<string, string>, json?: unknown) =>
    call(`${url}${path}`, { method, headers, ...(json !== undefined && { json }) });

  const tenantRow = async (id: number) => db.selectFrom('tenants').select(['id', 'sid']).where('id', '=', id).executeTakeFirstOrThrow();
  const bootstrap = await db.selectFrom('tenants').select(['id', 'sid']).orderBy('id').executeTakeFirstOrThrow();

  /** A tenant's own credentials (a fresh auth token) for the Smart 2FA calls that make its limit and request. */
  const tenantBasic = async (id: number) => {
    const t = await tenantRow(id);
    const token = await must('auth token', api('POST', `/admin/tenants/${id}/auth-tokens`, admin));
    return { headers: basic(t.sid, token.authToken), tokenId: token.id as number };
  };

  const account = async (tenant: number, role: 'agent' | 'superagent' | 'sipadmin' | 'sip', domain?: string) => {
    const email = `${unique(role)}@reach.test`;
    const username = unique(role);
    // SIP accounts through the Flexisip face, as Flexisip admins make them (with a DTMF protocol, so they can hold actions).
    const made = domain
      ? await must(`${role} account`, api('POST', '/api/accounts', admin, { username, domain, email, password: 'a long password', algorithm: 'SHA-256', activated: true, admin: role === 'sipadmin', dtmf_protocol: 'sipinfo' }))
      : await must(`${role} account`, api('POST', '/admin/accounts', admin, { tenant: String(tenant), email, password: 'a long password', role }));
    const key = await must('api key', api('POST', `/admin/accounts/${made.id}/api-keys`, admin, {}));
    return { id: made.id as number, email, ...(domain && { address: `${username}@${domain}` }), key: key.apiKey as string, keyId: key.id as number };
  };

  /** Every kind of object for a tenant, made by the admin or by the tenant's own people. */
  async function populate(tenantId: number, options: { domain: string }): Promise<{ objects: Objects; keys: Record<string, string> }> {
    const t = await tenantRow(tenantId);
    await must('sip domain', api('POST', `/admin/tenants/${tenantId}/sip-domains`, admin, { domain: options.domain }));
    const agent = await account(tenantId, 'agent');
    const superagent = await account(tenantId, 'superagent');
    const sipadmin = await account(tenantId, 'sipadmin', options.domain);
    const sip = await account(tenantId, 'sip', options.domain);
    const sipAdminKey = apiKey(sipadmin.key);
    const { headers: tenantCredentials, tokenId } = await tenantBasic(tenantId);
    const limit = await must('limit', api('POST', '/2fa/limits', tenantCredentials, { name: unique('limit_'), buckets: [{ name: 'b', max: '5', interval: '60' }] }));
    const sent = await must('send', api('POST', '/2fa/send', tenantCredentials, { service: 'reach', from: '+14155551111', to: `+1415${2_000_000 + (randomBytes(3).readUIntBE(0, 3) % 8_000_000)}`, body: 'code {code}' }));
    const phoneNumber = w.newNumber();
    await w.assign(phoneNumber, tenantId);
    const lineName = unique('line');
    const line = await must('line', w.line(tenantId, { name: lineName, phoneNumber, agentIds: [agent.id] }));
    const record = callSid();
    await must('call record', w.webhook('/voicetwilio/statuscallback', { CallSid: record, From: '+14155550123', To: phoneNumber, Direction: 'inbound', CallStatus: 'completed', Timestamp: new Date().toUTCString() }));
    await core.trustedDevices.issue({ id: agent.id, tenantId }, '192.0.2.1', 'reach');
    const device = await db.selectFrom('trusted_devices').select('id').where('account_id', '=', agent.id).executeTakeFirstOrThrow();
    const passkey = await db
      .insertInto('passkeys')
      .values({ account_id: agent.id, credential_id: unique('cred'), public_key: 'AA', counter: 0, transports: 'internal', backed_up: 0, device_type: 'singleDevice', aaguid: '00000000-0000-0000-0000-000000000000', name: 'reach', created_at: Date.now(), last_used_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    await must('2fa config', api('POST', '/global/agent2faConfigs', apiKey(agent.key), { secretKey: SECRET, code: nowCode(SECRET) }));
    await must('super agent 2fa config', api('POST', '/partnerglobal/superagent2faConfigs', apiKey(superagent.key), { secretKey: SECRET, code: nowCode(SECRET) }));
    await must('site 2fa policy', api('PUT', '/global/siteAuthenticationConfigs', admin, { siteId: tenantId, '2FARequirement': 1 }));
    const list = await must('contacts list', api('POST', '/api/contacts_lists', sipAdminKey, { title: unique('list'), description: 'reach' }));
    await must('list contact', api('POST', `/api/contacts_lists/${list.id}/contacts/${sip.id}`, sipAdminKey));
    const type = await must('account type', api('POST', '/api/account_types', sipAdminKey, { key: unique('type').toLowerCase() }));
    const action = await must('action', api('POST', `/api/accounts/${sip.id}/actions`, sipAdminKey, { key: 'open-door', code: '123' }));
    await must('dictionary', api('POST', `/api/accounts/${sip.id}/dictionary/reach`, sipAdminKey, { value: 'v' }));
    await must('contact', api('POST', `/api/accounts/${sip.id}/contacts/${sipadmin.id}`, sipAdminKey));
    const sipAuthToken = (await must('auth token', api('POST', '/api/accounts/auth_token', {}))).token as string;
    await must('attach', api('GET', `/api/accounts/auth_token/${sipAuthToken}/attach`, apiKey(sip.key)));
    const statsMessageId = unique('msg');
    const statsCallId = unique('call');
    const at = new Date().toISOString(); // today: within the 30 days /api/statistics shows by default
    await must('message statistics', api('POST', '/api/statistics/messages', sipAdminKey, { id: statsMessageId, from: `sip:${sip.address}`, sent_at: at, encrypted: false }));
    await must('message device', api('PATCH', `/api/statistics/messages/${statsMessageId}/to/${sipadmin.address}/devices/dev-1`, sipAdminKey, { last_status: 200, received_at: at }));
    await must('call statistics', api('POST', '/api/statistics/calls', sipAdminKey, { id: statsCallId, from: `sip:${sip.address}`, to: `sip:${sipadmin.address}`, initiated_at: at }));
    const webhook = await must('webhook', api('POST', `/admin/tenants/${tenantId}/webhooks`, admin, { url: 'https://127.0.0.1:9/reach', events: ['login.unlocked'] }));
    return {
      objects: {
        tenant: t,
        domain: options.domain,
        account: { agent, superagent, sipadmin, sip },
        apiKeyId: sip.keyId,
        authTokenId: tokenId,
        sipAuthToken,
        trustedDeviceId: Number(device.id),
        passkeyId: Number(passkey.id),
        // Smart 2FA answers its object under data: reading limit.sid left this undefined and skipped every limit case.
        limitSid: limit.data.sid as string,
        requestId: sent.requestID ?? sent.requestId,
        phoneNumber,
        lineId: line.id,
        lineName,
        callSid: record,
        contactsListId: list.id,
        accountTypeId: type.id,
        actionId: action.id,
        statsMessageId,
        statsCallId,
        webhookId: webhook.id,
      },
      keys: { agent: agent.key, superagent: superagent.key, sipadmin: sipadmin.key, sip: sip.key },
    };
  }

  /** A second SIP domain of site A with one Flexisip user: outside the reach of site A's Flexisip admin and user. */
  async function secondDomain(tenantId: number, domain: string): Promise<Objects> {
    await must('sip domain', api('POST', `/admin/tenants/${tenantId}/sip-domains`, admin, { domain }));
    const sipadmin = await account(tenantId, 'sipadmin', domain);
    const sip = await account(tenantId, 'sip', domain);
    const key = apiKey(sipadmin.key);
    const action = await must('action', api('POST', `/api/accounts/${sip.id}/actions`, key, { key: 'open-door', code: '123' }));
    const statsMessageId = unique('msg');
    const statsCallId = unique('call');
    const at = new Date().toISOString(); // today: within the 30 days /api/statistics shows by default
    await must('message statistics', api('POST', '/api/statistics/messages', key, { id: statsMessageId, from: `sip:${sip.address}`, sent_at: at, encrypted: false }));
    await must('call statistics', api('POST', '/api/statistics/calls', key, { id: statsCallId, from: `sip:${sip.address}`, to: `sip:${sipadmin.address}`, initiated_at: at }));
    return { domain, account: { sipadmin, sip }, apiKeyId: sip.keyId, actionId: action.id, statsMessageId, statsCallId };
  }

  try {
    return await build();
  } catch (err) {
    await w.close();
    throw err;
  }

  async function build(): Promise<ReachWorld> {
    const site = await populate(w.siteA, { domain: `${unique('a')}.reach.test` });
    const spare: string[] = [];
    for (let i = 0; i < 40; i++) {
      spare.push(w.newNumber());
      await w.assign(spare.at(-1)!, w.siteA);
    }
    const parent = await populate(w.partner, { domain: `${unique('p')}.reach.test` });
    const sibling = await populate(w.siteB, { domain: `${unique('b')}.reach.test` });
    const foreign = await populate(w.otherPartner, { domain: `${unique('q')}.reach.test` });
    const deployment = await populate(bootstrap.id, { domain: `${unique('root')}.reach.test` });
    const otherDomain = await secondDomain(w.siteA, `${unique('a2')}.reach.test`);

    const siteA = await tenantRow(w.siteA);
    const siteToken = await must('site token', api('POST', `/admin/tenants/${w.siteA}/auth-tokens`, admin));
    const tenantJwt = await new SignJWT({ tenant: siteA.sid }).setProtectedHeader({ alg: 'ES256' }).setIssuer(ISSUER).setAudience('gatehouse').setIssuedAt().setExpirationTime('50m').sign(idp.privateKey);
    const people = site.objects.account;
    const byKey = (key: string) => () => apiKey(key);
    const callers: Caller[] = [
      { role: 'admin', headers: () => admin },
      { role: 'tenant', headers: (auth) => (auth.includes('basic') ? basic(siteA.sid, siteToken.authToken) : bearer(tenantJwt)) },
      { role: 'superagent', self: people.superagent, headers: byKey(site.keys.superagent!) },
      { role: 'agent', self: people.agent, headers: byKey(site.keys.agent!) },
      { role: 'sipadmin', self: people.sipadmin, headers: byKey(site.keys.sipadmin!) },
      { role: 'sip', self: people.sip, headers: byKey(site.keys.sip!) },
    ];
    // The deployment admin reaches every tenant (core/callers.ts `reaches`): no target is outside it.
    const everyoneButAdmin: Role[] = ['tenant', 'superagent', 'agent', 'sipadmin', 'sip'];
    const targets: Target[] = [
      { name: 'parent', roles: everyoneButAdmin, objects: parent.objects },
      { name: 'sibling', roles: everyoneButAdmin, objects: sibling.objects },
      { name: 'other partner', roles: everyoneButAdmin, objects: foreign.objects },
      { name: 'bootstrap tenant', roles: everyoneButAdmin, objects: deployment.objects },
      { name: 'own tenant, other SIP domain', roles: ['sipadmin', 'sip'], objects: otherDomain },
    ];
    return {
      w,
      url,
      home: site.objects,
      callers,
      targets,
      spareNumber: () => spare.shift() ?? site.objects.phoneNumber!,
      close: () => w.close(),
    };
  }
}
