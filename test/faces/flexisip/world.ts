/**
 * A Flexisip world on a real server: a tenant with a SIP domain, the deployment admin key, accounts
 * made through the API, and a Digest client written from RFC 7616 (independent of src/core/sip).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createAdminKey } from '../../../src/core/bootstrap.js';
import { type SharedNodes, startSharedNodes } from '../../helpers/nodes.js';
import { type Reply, type TestServer, apiKey, basic, call } from '../../helpers/server.js';

export interface World {
  server: TestServer;
  url: string;
  admin: Record<string, string>;
  domain: string;
  tenant: { id: number; sid: string; authToken: string };
}

let n = 0;
export const uniqueName = (prefix = 'user') => `${prefix}${Date.now().toString(36)}${(n++).toString(36)}${randomBytes(2).toString('hex')}`;

/** A tenant under the bootstrap tenant, with one SIP domain. */
export async function world(server: TestServer): Promise<World> {
  const admin = apiKey(server.admin.apiKey);
  const tenant = (await call(`${server.url}/admin/tenants`, { headers: admin, json: { name: uniqueName('t') } })).body;
  const domain = `${uniqueName('d')}.sip.example.org`;
  const added = await call(`${server.url}/admin/tenants/${tenant.id}/sip-domains`, { headers: admin, json: { domain } });
  if (added.status >= 300) throw new Error(`sip domain: ${added.text}`);
  return { server, url: server.url, admin, domain, tenant };
}

/** Two `serve` nodes sharing PostgreSQL and Redis, with a tenant whose SIP domain is `domain`, and its admin key's headers. */
export async function sipNodes(domain: string): Promise<SharedNodes<{ admin: Record<string, string> }>> {
  const started = await startSharedNodes(async (core) => {
    const { tenant } = await core.tenants.create(null, { name: 'SIP' });
    return { tenant, admin: apiKey((await createAdminKey(core, tenant.id)).apiKey) };
  });
  const { tenant, admin } = started.prepared;
  const added = await call(`${started.nodes[0]!.url}/admin/tenants/${tenant.id}/sip-domains`, { headers: admin, json: { domain } });
  if (added.status >= 300) await started.stop();
  assert.ok(added.status < 300, added.text);
  return { ...started, prepared: { admin } };
}

export interface SipUser {
  id: number;
  username: string;
  domain: string;
  password: string;
  algorithm: 'MD5' | 'SHA-256';
  body: any;
}

export async function createAccount(w: World, fields: Record<string, unknown> = {}, headers = w.admin): Promise<SipUser> {
  const username = (fields.username as string) ?? uniqueName();
  const password = (fields.password as string) ?? 'secret-pw';
  const algorithm = (fields.algorithm as 'MD5' | 'SHA-256') ?? 'SHA-256';
  const res = await call(`${w.url}/api/accounts`, { headers, json: { username, password, algorithm, domain: w.domain, activated: true, ...fields } });
  if (res.status !== 200) throw new Error(`create account: ${res.status} ${res.text}`);
  return { id: res.body.id, username, domain: (fields.domain as string) ?? w.domain, password, algorithm, body: res.body };
}

export const tenantBasic = (w: World) => basic(w.tenant.sid, w.tenant.authToken);

const H = (algorithm: string, text: string) => createHash(algorithm === 'MD5' ? 'md5' : 'sha256').update(text).digest('hex');

/** The parameters of one WWW-Authenticate challenge. */
export function challengeParams(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.replace(/^Digest\s+/i, '').matchAll(/([a-z]+)=(?:"([^"]*)"|([^,]*))/gi)) out[m[1]!.toLowerCase()] = m[2] ?? m[3]!;
  return out;
}

/** Every challenge of a 401 (fetch joins repeated headers with ", "; each starts with "Digest "). */
export function challengesOf(res: Reply): Array<Record<string, string>> {
  const raw = res.headers.get('www-authenticate') ?? '';
  return raw
    .split(/,\s*(?=Digest\s)/)
    .filter(Boolean)
    .map(challengeParams);
}

export function digestAuthorization(
  user: { username: string; password: string },
  challenge: Record<string, string>,
  request: { method: string; uri: string; nc?: string; cnonce?: string },
): string {
  const algorithm = challenge.algorithm ?? 'MD5';
  const nc = request.nc ?? '00000001';
  const cnonce = request.cnonce ?? randomBytes(8).toString('hex');
  const ha1 = H(algorithm, `${user.username}:${challenge.realm}:${user.password}`);
  const ha2 = H(algorithm, `${request.method}:${request.uri}`);
  const response = H(algorithm, `${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${user.username}", realm="${challenge.realm}", nonce="${challenge.nonce}", uri="${request.uri}", algorithm=${algorithm}, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}", opaque="${challenge.opaque}"`;
}

/** A Digest exchange: the challenge, then the answer (two requests, as a client makes them). */
export async function digestCall(w: { url: string }, user: { username: string; domain: string; password: string }, path: string, init: { method?: string; json?: unknown } = {}): Promise<Reply> {
  const method = init.method ?? (init.json !== undefined ? 'POST' : 'GET');
  const from = { from: `sip:${user.username}@${user.domain}`, 'content-type': 'application/json' };
  const first = await call(`${w.url}${path}`, { method, headers: from, ...(init.json !== undefined ? { json: init.json } : {}) });
  if (first.status !== 401) return first;
  const challenge = challengesOf(first)[0]!;
  const authorization = digestAuthorization(user, challenge, { method, uri: path });
  return call(`${w.url}${path}`, { method, headers: { ...from, authorization }, ...(init.json !== undefined ? { json: init.json } : {}) });
}

/** An API key for a user, through Digest. */
export async function apiKeyOf(w: World, user: SipUser): Promise<Record<string, string>> {
  const res = await digestCall(w, user, '/api/accounts/me/api_key');
  if (res.status !== 200) throw new Error(`api key: ${res.status} ${res.text}`);
  return apiKey(res.text);
}

/** The newest outbox message to `to`. */
export async function outboxTo(w: World, to: string): Promise<{ body: string; channel: string; subject: string | null } | undefined> {
  const res = await call(`${w.url}/dev/outbox?to=${encodeURIComponent(to)}&limit=1`, { headers: w.admin });
  return res.body.messages?.[0];
}
