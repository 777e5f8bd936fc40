/**
 * Reach, generated from /openapi.json: every authenticated operation whose path, query or body names
 * a tenant, an account, a SIP domain or address, a credential, a line, a number, a call record, a
 * request ID, a limit, a contacts list, a type, an action or a SIP statistic, called by every role
 * with that one parameter aimed at an object outside the caller's reach (site A's parent, sibling,
 * another partner, the bootstrap tenant; for the SIP roles also site A's other SIP domain), the
 * rest of the request valid and the caller's own. Each must answer 403 or 404, show nothing of the
 * target it was not sent, and change no row outside the tables a refusal may write
 * (test/helpers/rows.ts WRITTEN_ON_REFUSAL).
 *
 * A parameter whose name the test does not know fails the test: a new route is classified the day
 * it lands. Rows are compared once per batch of requests; a batch that changed something is
 * replayed one request at a time to name the culprit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Capability, ROLES, type Role, scopeOf } from '../../../src/core/roles.js';
import { type Snapshot, changes, snapshot, tablesOf } from '../../helpers/rows.js';
import { type Reply, call } from '../../helpers/server.js';
import { DIALECTS, skipDialect } from '../../helpers/services.js';
import { nowCode } from '../comm100/twofactor-world.js';
import { type Caller, type Objects, type ReachWorld, SECRET, type Target, startReachWorld, unique } from './reach-world.js';

const BATCH = Number(process.env.GATEHOUSE_REACH_BATCH ?? 40);

type Kind =
  | 'tenant' | 'tenantSid' | 'account' | 'accounts' | 'domain' | 'address' | 'email' | 'apiKey' | 'authToken' | 'sipAuthToken' | 'trustedDevice'
  | 'passkey' | 'limit' | 'request' | 'phoneNumber' | 'line' | 'callRecord' | 'contactsList' | 'accountType' | 'action' | 'statsMessage' | 'statsCall' | 'webhook';
type Where = 'path' | 'query' | 'body';

/** Parameter names that name no object: values, filters, secrets, or a name inside the caller's own object. */
const NOT_OBJECTS = new Set([
  'name', 'email', 'password', 'role', 'username', 'phone', 'displayName', 'blocked', 'activated', 'expiresAt', 'limit', 'secretKey',
  'code', '2FARequirement', 'event', 'since', 'until', 'before', 'service', 'from', 'to', 'body', 'channel', 'subject', 'language',
  'repeat', 'length', 'voice', 'timeout', 'guardTime', 'limits', 'number', 'buckets', 'description', 'page', 'Page', 'pageSize',
  'subAccounts', 'startTime', 'endTime', 'SortBy', 'status', 'allowedCallingCodes', 'greeting', 'ringTimeout', 'fallback',
  'direction', 'authToken', 'apiKeySid', 'apiKeySecret', 'twimlAppSid', 'algorithm', 'old_password', 'display_name',
  'dtmf_protocol', 'admin', 'dictionary', 'confirmation_key_expires', 'account_creation_token', 'value', 'key', 'title', 'id',
  'sent_at', 'encrypted', 'conference_id', 'initiated_at', 'ended_at', 'last_status', 'received_at', 'rang_at', 'invite_terminated', 'at', 'state',
  'device_id', 'uuid', 'token', 'recover_key', 'accountSid', 'url', 'events', 'response', 'phishingResistantOnly', 'defaultFallback',
  // A delivery is named inside its webhook's path: the webhook is the object aimed at.
  'deliveryId',
  // The fraud guard's: a destination prefix and safe-list numbers, inside the caller's own tenant (accountSid names the tenant).
  'prefix', 'numbers',
  'action', 'objectType', 'objectId', 'outcome', 'surface',
]);

/** What object a parameter names; null: none; undefined: a name this test does not know. */
function kindOf(path: string, where: Where, name: string): Kind | null | undefined {
  if (where === 'path') {
    if (name === 'id') {
      if (/^\/(admin|api)\/accounts\/\{id\}/.test(path)) return 'account';
      if (path.startsWith('/admin/api-keys/')) return 'apiKey';
      if (path.startsWith('/admin/tenants/{tenant}/auth-tokens/')) return 'authToken';
      if (path.startsWith('/global/trustedDevices/')) return 'trustedDevice';
      if (path.startsWith('/passkeys/')) return 'passkey';
      if (path.startsWith('/voiceconfig/phonelines/')) return 'line';
      if (path.startsWith('/api/contacts_lists/')) return 'contactsList';
      if (path.startsWith('/api/account_types/')) return 'accountType';
      if (/\/2faConfig\/\{id\}$/.test(path)) return 'account';
      if (path.startsWith('/admin/webhooks/')) return 'webhook';
      return undefined;
    }
    const byName: Record<string, Kind> = {
      tenant: 'tenant', siteId: 'tenant', agentId: 'account', superagentId: 'account', sid: 'limit', requestId: 'request',
      phoneNumber: 'phoneNumber', callSid: 'callRecord', sip: 'address', email: 'email', contact_id: 'account',
      contacts_list_id: 'contactsList', auth_token: 'sipAuthToken', action_id: 'action', type_id: 'accountType', message_id: 'statsMessage', call_id: 'statsCall',
    };
    if (byName[name]) return byName[name];
    if (name === 'to' && path.startsWith('/api/statistics/')) return null; // the recipient of the caller's own message
    return NOT_OBJECTS.has(name) ? null : undefined;
  }
  // Comm100's backup-code routes accept a partnerId and siteId for compatibility and ignore them:
  // the account is the one named by agentId (or the caller).
  if ((name === 'partnerId' || name === 'siteId') && /BackupCode|backupcodes|^\/2fa\/codes?$/.test(path)) return null;
  if (['tenant', 'parent', 'siteId', 'partnerId'].includes(name)) return 'tenant';
  if (['agentId', 'agentid', 'superAgentId', 'superagentId', 'partneruserid'].includes(name)) return 'account';
  if (name === 'agentIds') return 'accounts';
  if (name === 'actorId') return 'account'; // the admin audit trail's filter by who acted
  if (name === 'lineId') return 'line';
  if (name === 'domain') return 'domain';
  if (name === 'requestId') return 'request';
  if (name === 'phoneNumber') return 'phoneNumber';
  // Smart 2FA names the tenant by SID; on /voiceconfig/ the field is a Twilio account's SID.
  if (name === 'accountSid') return path.startsWith('/voiceconfig/') ? null : 'tenantSid';
  // A statistic's sender may be anyone's address: the record belongs to the caller's tenant unless
  // the caller reaches the sender's domain (core/sip-statistics), so `from` names no object.
  return NOT_OBJECTS.has(name) ? null : undefined;
}

type Schema = { type?: string; properties?: Record<string, Schema>; required?: string[] };

interface Operation {
  method: string;
  path: string;
  auth: string[];
  capability: Capability | undefined;
  params: Array<{ where: Where; name: string; kind: Kind | null; required: boolean }>;
}

function operationsOf(doc: { paths: Record<string, Record<string, any>> }, capabilities: Map<string, Capability>, unknown: string[]): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const auth: string[] = (op.security ?? []).flatMap((s: Record<string, unknown>) => Object.keys(s));
      if (auth.length === 0) continue; // public: no role to test
      const params: Operation['params'] = [];
      const add = (where: Where, name: string, required: boolean) => {
        const kind = kindOf(path, where, name);
        if (kind === undefined) unknown.push(`${method.toUpperCase()} ${path} ${where} ${name}`);
        else params.push({ where, name, kind, required });
      };
      for (const p of op.parameters ?? []) {
        // A path parameter of an optional segment shows up on the operation without it: the one with it covers it.
        if (p.in === 'path' && !path.includes(`{${p.name}}`)) continue;
        add(p.in, p.name, p.in === 'path' || Boolean(p.required));
      }
      const body: Schema | undefined = op.requestBody?.content?.['application/json']?.schema;
      for (const name of Object.keys(body?.properties ?? {})) add('body', name, body?.required?.includes(name) ?? false);
      const fastifyUrl = path.replaceAll(':', '::').replace(/\{(\w+)\}/g, ':$1');
      ops.push({ method: method.toUpperCase(), path, auth, capability: capabilities.get(`${method.toUpperCase()} ${fastifyUrl}`), params });
    }
  }
  return ops;
}

type AccountRole = 'agent' | 'superagent' | 'sipadmin' | 'sip';

/** Which account a parameter of this route is about, for this caller: one of a role the caller acts on. */
function accountRoleFor(op: Operation, name: string, role: Role): AccountRole {
  if (op.path.startsWith('/partnerglobal')) return 'superagent';
  // Comm100 spells the account five ways; on an agent route every spelling names an agent, except
  // where a route takes both (trusted devices: agentId or superAgentId).
  if (/^super/i.test(name) && op.path.startsWith('/global/trustedDevices')) return 'superagent';
  if (op.path.startsWith('/api/') || op.path.startsWith('/contacts/')) return 'sip';
  if (role === 'sipadmin' || role === 'sip') return 'sip';
  return 'agent';
}

/** The value of an object of this kind among these objects, or undefined when there is none. */
function valueOf(objects: Objects, kind: Kind, accountRole: AccountRole, self?: Caller['self']): unknown {
  const person = self ?? objects.account[accountRole];
  switch (kind) {
    case 'tenant': return objects.tenant?.id;
    case 'tenantSid': return objects.tenant?.sid;
    case 'account': return person?.id;
    case 'accounts': return person && [person.id];
    case 'email': return person?.email;
    case 'address': return person?.address;
    case 'domain': return objects.domain;
    case 'apiKey': return objects.apiKeyId;
    case 'authToken': return objects.authTokenId;
    case 'sipAuthToken': return objects.sipAuthToken;
    case 'trustedDevice': return objects.trustedDeviceId;
    case 'passkey': return objects.passkeyId;
    case 'limit': return objects.limitSid;
    case 'request': return objects.requestId;
    case 'phoneNumber': return objects.phoneNumber;
    case 'line': return objects.lineId;
    case 'callRecord': return objects.callSid;
    case 'contactsList': return objects.contactsListId;
    case 'accountType': return objects.accountTypeId;
    case 'action': return objects.actionId;
    case 'statsMessage': return objects.statsMessageId;
    case 'statsCall': return objects.statsCallId;
    case 'webhook': return objects.webhookId;
  }
}

const AT = '2026-03-01T10:00:00Z';

/** A valid body for each operation that takes one (fresh names each call), before the target is set. */
function bodyFor(op: Operation, home: (kind: Kind, name: string) => unknown, world: ReachWorld): Record<string, unknown> | undefined {
  const key = `${op.method} ${op.path}`;
  const twoFactor = () => ({ secretKey: SECRET, code: nowCode(SECRET) });
  const sipAccount = () => ({ username: unique('u'), password: 'a long password', algorithm: 'SHA-256', domain: home('domain', 'domain'), activated: true });
  const bodies: Record<string, () => Record<string, unknown>> = {
    'POST /admin/tenants': () => ({ name: unique('tenant') }),
    'PATCH /admin/tenants/{tenant}': () => ({ email: 'reach@reach.test' }),
    'POST /admin/tenants/{tenant}/sip-domains': () => ({ domain: `${unique('new')}.reach.test` }),
    'POST /admin/accounts': () => ({ tenant: String(home('tenant', 'tenant')), role: 'sip', username: unique('u'), domain: home('domain', 'domain'), password: 'a long password', email: `${unique('e')}@reach.test` }),
    'PATCH /admin/accounts/{id}': () => ({ displayName: 'reach' }),
    'POST /admin/accounts/{id}/api-keys': () => ({}),
    'POST /admin/accounts/{id}/password-reset': () => ({ password: 'a long password' }),
    'POST /global/siteAuthenticationConfigs': () => ({ '2FARequirement': 1 }),
    'PUT /global/siteAuthenticationConfigs': () => ({ '2FARequirement': 1 }),
    'POST /2fa/send': () => ({ service: 'reach', from: '+14155551111', to: `+1415${2_000_000 + Math.floor(Math.random() * 8e6)}`, body: 'code {code}' }),
    'POST /2fa/verify': () => ({ requestId: home('request', 'requestId'), code: '000000' }),
    'POST /2fa/cancel': () => ({ requestId: home('request', 'requestId') }),
    'POST /2fa/limits': () => ({ name: unique('limit_'), buckets: [{ name: 'b', max: '5', interval: '60' }] }),
    'PUT /2fa/limits/{sid}': () => ({ description: 'reach' }),
    'PUT /2fa/settings/countries': () => ({ allowedCallingCodes: ['1'] }),
    'POST /2fa/fraud/blocked-prefixes/lift': () => ({ prefix: '+44-771' }),
    'PUT /2fa/fraud/safe-numbers': () => ({ numbers: ['+919960639903'] }),
    'PUT /voiceconfig/phonenumbers/{phoneNumber}': () => ({ siteId: home('tenant', 'siteId') }),
    'POST /voiceconfig/phonelines': () => ({ siteId: home('tenant', 'siteId'), name: unique('line'), phoneNumber: world.spareNumber(), agentIds: home('accounts', 'agentIds') }),
    'PUT /voiceconfig/phonelines/{id}': () => ({ name: unique('line') }),
    'PUT /voiceconfig/twilioaccount': () => ({ accountSid: `AC${'1'.repeat(32)}`, authToken: 'a'.repeat(32) }),
    'POST /api/accounts': sipAccount,
    'PUT /api/accounts/{id}': sipAccount,
    'POST /api/accounts/{id}/dictionary/{key}': () => ({ value: 'reach' }),
    'POST /api/accounts/{id}/actions': () => ({ key: 'reach', code: '9' }),
    'POST /api/accounts/{id}/actions/': () => ({ key: 'reach', code: '9' }),
    'PUT /api/accounts/{id}/actions/{action_id}': () => ({ key: 'reach', code: '9' }),
    'POST /api/contacts_lists': () => ({ title: unique('list'), description: 'reach' }),
    'PUT /api/contacts_lists/{id}': () => ({ title: unique('list'), description: 'reach' }),
    'POST /api/account_types': () => ({ key: unique('type').toLowerCase() }),
    'PUT /api/account_types/{id}': () => ({ key: unique('type').toLowerCase() }),
    'POST /api/statistics/messages': () => ({ id: unique('msg'), from: `sip:${home('address', 'from')}`, sent_at: AT, encrypted: false }),
    'PATCH /api/statistics/messages/{message_id}/to/{to}/devices/{device_id}': () => ({ last_status: 200, received_at: AT }),
    'POST /api/statistics/calls': () => ({ id: unique('call'), from: `sip:${home('address', 'from')}`, to: `sip:${home('address', 'to')}`, initiated_at: AT }),
    'PATCH /api/statistics/calls/{call_id}/devices/{device_id}': () => ({ rang_at: AT }),
    'PATCH /api/statistics/calls/{call_id}': () => ({ ended_at: AT }),
    'POST /admin/tenants/{tenant}/webhooks': () => ({ url: 'https://127.0.0.1:9/reach' }),
  };
  if (bodies[key]) return bodies[key]();
  // Comm100's 2FA routes: a valid secret and its current code, the account named by the target.
  if (op.params.some((p) => p.where === 'body' && p.name === 'secretKey')) return twoFactor();
  return op.params.some((p) => p.where === 'body') ? {} : undefined;
}

/** Values for required parameters that name no object. */
const PLAIN_VALUES: Record<string, () => string> = {
  key: () => 'reach',
  to: () => 'nobody@reach.invalid',
  device_id: () => 'dev-1',
  uuid: () => 'device-uuid',
  startTime: () => '2026-01-01T00:00:00Z',
  endTime: () => '2027-01-01T00:00:00Z',
  deliveryId: () => `msg_${'0'.repeat(32)}`,
};

interface Case {
  op: Operation;
  caller: Caller;
  target: Target;
  param: Operation['params'][number];
  /** Whether the caller's role holds the route's capability (so reach, not the capability, must refuse). */
  holds: boolean;
  /** The request; `control` aims it at the caller's own object of the same kind instead. */
  request(control?: boolean): { url: string; method: string; headers: Record<string, string>; json?: unknown; shown: string };
}

function casesOf(world: ReachWorld, ops: Operation[]): Case[] {
  const cases: Case[] = [];
  for (const op of ops) {
    for (const caller of world.callers) {
      for (const target of world.targets) {
        if (!target.roles.includes(caller.role)) continue;
        for (const param of op.params) {
          if (!param.kind) continue;
          // A field repeating the path's object (Comm100's agentId spellings beside /{agentId}) is not
          // a second target: the path names the account, the field is ignored.
          if (param.where !== 'path' && op.params.some((p) => p.where === 'path' && p.kind === param.kind)) continue;
          const targetRole = accountRoleFor(op, param.name, caller.role);
          const aimed = valueOf(target.objects, param.kind, targetRole);
          if (aimed === undefined) continue;
          const holds = op.capability !== undefined && scopeOf({ role: caller.role }, op.capability) !== null;
          const request = (control = false) => {
            const home = (kind: Kind, name: string) => {
              const role = accountRoleFor(op, name, caller.role);
              const self = caller.self && (caller.role as string) === role ? caller.self : undefined;
              return valueOf(world.home, kind, role, self);
            };
            const body = bodyFor(op, home, world);
            if (body && param.where === 'query') delete body[param.name];
            let path = op.path;
            const query = new URLSearchParams();
            for (const p of op.params) {
              const isTarget = p === param;
              if (!isTarget && !p.required) continue;
              // The same field in the query and the body: only the target's copy is sent.
              if (!isTarget && p.name === param.name) continue;
              let value: unknown = isTarget && !control ? aimed : p.kind ? home(p.kind, p.name) : PLAIN_VALUES[p.name]?.();
              if (p.where === 'body') {
                if (!isTarget && body && p.name in body) continue;
                if (isTarget && p.name === 'tenant') value = String(value);
                body![p.name] = value;
              } else if (p.where === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(String(value)));
              else query.set(p.name, String(value));
            }
            const qs = query.size ? `?${query}` : '';
            const headers = caller.headers(op.auth);
            return { url: `${world.url}${path}${qs}`, method: op.method, headers, ...(body !== undefined && { json: body }), shown: `${op.method} ${path}${qs}${body !== undefined ? ` ${JSON.stringify(body)}` : ''}` };
          };
          cases.push({ op, caller, target, param, holds, request });
        }
      }
    }
  }
  // Deletions last: a hole in one must not take away the objects the others aim at.
  return cases.sort((a, b) => Number(a.op.method === 'DELETE') - Number(b.op.method === 'DELETE'));
}

/** Whether an answer holds any rows: a non-empty array anywhere in it. */
const hasRows = (v: unknown): boolean =>
  Array.isArray(v) ? v.length > 0 : typeof v === 'object' && v !== null && Object.values(v).some(hasRows);

/**
 * How an answer refused, or null when it did not. 403 and 404 are the rule; besides them, a 4xx that
 * names the field aimed at (Smart 2FA's 400 "accountSid: is not this account or one of its
 * sub-accounts", a 409 for a SIP domain another tenant owns) refuses that object, and Flexisip's
 * statistics answer an unknown message or call 400 as their document says, and Smart 2FA an unknown limit 409
 * (code 493). A GET whose query
 * filters by a foreign object may answer an empty list: nothing of the object is shown.
 */
function refusal(c: Case, res: Reply): string | null {
  if (res.status === 403 || res.status === 404) return `${res.status}`;
  const body = (typeof res.body === 'object' && res.body) || {};
  if ([400, 409, 422].includes(res.status)) {
    const message = String(body.message ?? body.error?.message ?? '');
    const named = body.error?.field === c.param.name || (body.errors && c.param.name in body.errors) || message.startsWith(`${c.param.name}:`);
    if (named) return `${res.status} naming the field`;
    // Smart 2FA's not-found for a limit (its document: 493, HTTP 409, "Limit sid passed is not present in
    // the System"): another tenant's limit answers exactly as one that does not exist.
    if (c.param.kind === 'limit' && res.status === 409 && body.code === 493) return '409 no such limit (493)';
    if (c.op.path.startsWith('/api/statistics/') && res.status === 400 && /^no (call|message) with this id$/.test(message)) return '400 unknown statistic';
  }
  if (res.status === 200 && c.op.method === 'GET' && c.param.where === 'query' && !hasRows(res.body)) return 'GET filtered to nothing';
  return null;
}

/** The target's strings a refusal must not show (what the request itself sent aside). */
function secretsOf(c: Pick<Case, 'target'>, sent: string): string[] {
  const o = c.target.objects;
  const people = Object.values(o.account).flatMap((a) => [a.email, a.address ?? '']);
  return [...people, o.domain ?? '', o.tenant?.sid ?? '', o.limitSid ?? '', o.requestId ?? '', o.callSid ?? '', o.phoneNumber ?? '', o.lineName ?? '', o.sipAuthToken ?? '', o.statsMessageId ?? '', o.statsCallId ?? '', o.webhookId ?? '']
    .filter((v) => v.length > 0 && !sent.includes(v));
}

/**
 * What a GET shows of a target by design: a number the deployment assigned to the parent serves its
 * sites too (core/voice/phone-numbers), and a tenant's SIP domains are read with the tenant
 * (`tenants.read`), so a Flexisip account sees its tenant's other domain's name there.
 */
function sharedByDesign(op: Operation, target: Target, value: string): boolean {
  if (target.name === 'parent' && value === target.objects.phoneNumber && op.path === '/voiceconfig/phonenumbers') return true;
  return target.name === 'own tenant, other SIP domain' && value === target.objects.domain && op.path === '/admin/tenants/{tenant}/sip-domains';
}

const label = (c: Case) => `${c.caller.role} → ${c.target.name}'s ${c.param.kind} (${c.param.where} ${c.param.name}): ${c.op.method} ${c.op.path}`;

for (const dialect of DIALECTS) {
  describe(`reach over every route of /openapi.json on ${dialect}`, { skip: await skipDialect(dialect) }, () => {
    let world: ReachWorld;
    let ops: Operation[];
    const unknown: string[] = [];

    before(async () => {
      world = await startReachWorld(dialect);
      const capabilities = new Map(world.w.server.app.routeCapabilities.map((r) => [`${r.method} ${r.url}`, r.capability as Capability]));
      ops = operationsOf((await call(`${world.url}/openapi.json`)).body, capabilities, unknown);
    });
    after(() => world?.close());

    test('every parameter of every authenticated route is known to name an object or not', () => {
      assert.deepEqual(unknown, [], 'classify these in kindOf');
      assert.ok(ops.every((op) => op.capability), `routes without a capability: ${ops.filter((op) => !op.capability).map((op) => `${op.method} ${op.path}`)}`);
    });

    test('no GET shows anything of a tenant or domain outside the caller\'s reach', async (t) => {
      // Lists and reads with no object aimed at (GET /api/accounts, /admin/tenants, /api/statistics, …),
      // their required parameters the caller's own: the answer holds none of the targets' strings.
      const leaks: string[] = [];
      let sent = 0;
      for (const op of ops.filter((o) => o.method === 'GET')) {
        for (const caller of world.callers) {
          const outside = world.targets.filter((target) => target.roles.includes(caller.role));
          if (outside.length === 0) continue;
          const home = (kind: Kind, name: string) => {
            const role = accountRoleFor(op, name, caller.role);
            return valueOf(world.home, kind, role, caller.self && (caller.role as string) === role ? caller.self : undefined);
          };
          let path = op.path;
          const query = new URLSearchParams();
          for (const p of op.params.filter((q) => q.required)) {
            const value = p.kind ? home(p.kind, p.name) : PLAIN_VALUES[p.name]?.();
            if (p.where === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(String(value)));
            else query.set(p.name, String(value));
          }
          const url = `${path}${query.size ? `?${query}` : ''}`;
          const res = await call(`${world.url}${url}`, { headers: caller.headers(op.auth) });
          sent++;
          for (const target of outside) {
            const shown = secretsOf({ target }, decodeURIComponent(url)).filter((v) => res.text.includes(v) && !sharedByDesign(op, target, v));
            if (shown.length) leaks.push(`${caller.role} GET ${url} → ${res.status} shows ${target.name}'s ${shown.join(', ')}: ${res.text.slice(0, 300)}`);
          }
        }
      }
      t.diagnostic(`${sent} GETs (every authenticated GET × every role with a target), ${leaks.length} showing something outside reach`);
      assert.deepEqual(leaks, []);
    });

    test('a request aimed at an object outside the caller\'s reach answers 403 or 404 and changes no row', async (t) => {
      const db = world.w.server.runtime.storage.db;
      const tables = await tablesOf(db);
      const cases = casesOf(world, ops);
      // A world object left undefined skips every case of its kind in silence (limitSid once did): each
      // kind a route names must be aimed at by some case.
      const aimedAt = new Set(cases.map((c) => c.param.kind));
      const never = [...new Set(ops.flatMap((op) => op.params.flatMap((p) => (p.kind ? [p.kind] : []))))].filter((k) => !aimedAt.has(k));
      assert.deepEqual(never, [], 'object kinds no case aims at: give the reach world such an object in its targets');
      const failures: string[] = [];
      const refusals: Record<string, number> = {};
      const send = async (c: Case, replay = false): Promise<Reply> => {
        const r = c.request();
        const res = await call(r.url, { method: r.method, headers: r.headers, ...(r.json !== undefined && { json: r.json }) });
        if (replay) return res;
        const how = refusal(c, res);
        refusals[how ?? 'not refused'] = (refusals[how ?? 'not refused'] ?? 0) + 1;
        if (!how) failures.push(`${label(c)}\n    ${r.shown}\n    → ${res.status} ${res.text.slice(0, 300)}`);
        else {
          const shown = secretsOf(c, decodeURIComponent(r.shown)).filter((v) => res.text.includes(v));
          if (shown.length) failures.push(`${label(c)}: the refusal shows the target's ${shown.join(', ')}\n    ${r.shown}\n    → ${res.status} ${res.text.slice(0, 300)}`);
        }
        return res;
      };
      // Controls: each GET a role may make, aimed at the caller's own object instead, must get through,
      // or the refusals below would prove nothing (a request refused for a malformed field, say).
      const controls = new Map<string, Case>();
      for (const c of cases) if (c.holds && c.op.method === 'GET') controls.set(`${c.op.path} ${c.caller.role} ${c.param.where} ${c.param.name}`, c);
      const blocked: string[] = [];
      for (const [key, c] of controls) {
        const r = c.request(true);
        const res = await call(r.url, { method: r.method, headers: r.headers });
        if (res.status >= 300) blocked.push(`${key} → ${res.status} ${res.text.slice(0, 120)}`);
      }
      t.diagnostic(`controls: ${controls.size - blocked.length} of ${controls.size} GETs aimed at the caller's own objects answered 2xx${blocked.length ? `; not: ${blocked.join('; ')}` : ''}`);
      assert.ok(controls.size - blocked.length > (controls.size * 3) / 4, 'most controls get through: the generated requests are well-formed');
      let before: Snapshot = await snapshot(db, tables);
      for (let i = 0; i < cases.length; i += BATCH) {
        const batch = cases.slice(i, i + BATCH);
        for (const c of batch) await send(c);
        const after = await snapshot(db, tables);
        const changed = changes(before, after);
        if (changed.length) {
          // Replay the batch one request at a time to name the ones that write.
          const blamed: string[] = [];
          let last = after;
          for (const c of batch) {
            await send(c, true);
            const now = await snapshot(db, tables);
            const wrote = changes(last, now);
            if (wrote.length) blamed.push(`${label(c)}\n      ${wrote.join('\n      ')}`);
            last = now;
          }
          failures.push(`rows changed by a batch of refused requests:\n      ${changed.join('\n      ')}\n    replayed one by one, these wrote:\n    ${blamed.join('\n    ') || '(none again: a first-time write, see the rows above)'}`);
          before = last;
        } else before = after;
      }
      const triples = new Set(cases.map((c) => `${c.op.method} ${c.op.path} ${c.caller.role} ${c.target.name}`));
      const held = cases.filter((c) => c.holds);
      const heldTriples = new Set(held.map((c) => `${c.op.method} ${c.op.path} ${c.caller.role} ${c.target.name}`));
      const routes = new Set(cases.map((c) => `${c.op.method} ${c.op.path}`));
      t.diagnostic(`${routes.size} routes name an object; ${triples.size} (route × role × target) cases, ${cases.length} requests (one per object-naming parameter)`);
      t.diagnostic(`role holds the capability (reach refuses): ${heldTriples.size} cases, ${held.length} requests; refused by the capability alone: ${triples.size - heldTriples.size} cases, ${cases.length - held.length} requests`);
      t.diagnostic(`per role: ${JSON.stringify(Object.fromEntries(ROLES.map((r) => [r, cases.filter((c) => c.caller.role === r).length])))}; answers: ${JSON.stringify(refusals)}`);
      assert.ok(routes.size > 100, `${routes.size} routes`);
      assert.equal(failures.length, 0, `${failures.length} failures:\n  ${failures.join('\n  ')}`);
    });
  });
}
