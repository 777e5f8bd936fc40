/**
 * A Comm100 world on a test server: partner P with sites A and B, partner Q with site C; agents
 * in the sites, super agents in the partners; a bearer JWT for each, as login would issue.
 */
import { base32Decode } from '../../../src/core/totp/base32.js';
import { hotp, timeStep } from '../../../src/core/totp/otp.js';
import type { Dialect } from '../../helpers/services.js';
import { type Reply, type TestServer, apiKey, bearer, call, startTestServer } from '../../helpers/server.js';

export interface Person {
  id: number;
  email: string;
  headers: Record<string, string>;
}

export interface World {
  server: TestServer;
  admin: Record<string, string>;
  partner: number;
  siteA: number;
  siteB: number;
  otherPartner: number;
  siteC: number;
  agentA1: Person;
  agentA2: Person;
  agentB: Person;
  agentC: Person;
  superP: Person;
  superQ: Person;
  /** A fresh agent in site A, for tests that need an account nobody else touched. */
  newAgent(site?: number): Promise<Person>;
  newSuperAgent(partner?: number): Promise<Person>;
  /** POST/GET/PUT/DELETE with JSON against the server. */
  api(method: string, path: string, headers: Record<string, string>, json?: unknown): Promise<Reply>;
}

export const codeAt = (secret: string, step: number) => hotp(base32Decode(secret)!, step);
export const nowCode = (secret: string) => codeAt(secret, timeStep(Date.now()));
export const wrongCode = (secret: string) => String((Number(nowCode(secret)) + 500_000) % 1_000_000).padStart(6, '0');

export async function startWorld(dialect: Dialect, options: Parameters<typeof startTestServer>[1] = {}): Promise<World> {
  const server = await startTestServer(dialect, options);
  const core = server.runtime.core;
  const admin = apiKey(server.admin.apiKey);
  const tenant = async (name: string, parent?: number) => (await core.tenants.create(null, { name, parent })).tenant.id;
  let n = 0;
  const person = async (tenantId: number, role: 'agent' | 'superagent'): Promise<Person> => {
    const email = `${role}${++n}@example.com`;
    const account = await core.accounts.create(null, { tenant: tenantId, email, role, password: 'correct horse battery' });
    const { token } = await core.credentials.signJwt(account.id);
    return { id: account.id, email, headers: bearer(token) };
  };
  const partner = await tenant('Partner P');
  const siteA = await tenant('Site A', partner);
  const siteB = await tenant('Site B', partner);
  const otherPartner = await tenant('Partner Q');
  const siteC = await tenant('Site C', otherPartner);
  return {
    server,
    admin,
    partner,
    siteA,
    siteB,
    otherPartner,
    siteC,
    agentA1: await person(siteA, 'agent'),
    agentA2: await person(siteA, 'agent'),
    agentB: await person(siteB, 'agent'),
    agentC: await person(siteC, 'agent'),
    superP: await person(partner, 'superagent'),
    superQ: await person(otherPartner, 'superagent'),
    newAgent: (site = siteA) => person(site, 'agent'),
    newSuperAgent: (p = partner) => person(p, 'superagent'),
    api: (method, path, headers, json) => call(`${server.url}${path}`, { method, headers, ...(json !== undefined && { json }) }),
  };
}

/** Sets up 2FA for a person through the v2 endpoint and answers the secret. */
export async function setUp2fa(world: World, who: Person, kind: 'agent' | 'superagent' = 'agent'): Promise<string> {
  const secretPath = kind === 'agent' ? '/global/2faSecret' : '/partnerglobal/2faSecret';
  const { secretKey } = (await world.api('GET', secretPath, who.headers)).body as { secretKey: string };
  const configs = kind === 'agent' ? '/global/agent2faConfigs' : '/partnerglobal/superagent2faConfigs';
  const res = await world.api('POST', configs, who.headers, { secretKey, code: nowCode(secretKey) });
  if (res.status !== 200) throw new Error(`2FA setup failed: ${res.status} ${res.text}`);
  return secretKey;
}
