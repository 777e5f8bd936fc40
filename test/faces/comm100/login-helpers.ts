/**
 * Helpers of the login tests: a partner with sites, agents with passwords, TOTP codes computed by an
 * independent implementation (the otpauth package) from the secretKey the server gave.
 */
import { Secret, TOTP } from 'otpauth';
import type { Core } from '../../../src/core/core.js';
import type { Dialect } from '../../helpers/services.js';
import { type Reply, type TestServer, apiKey, call, startTestServer } from '../../helpers/server.js';

export const PASSWORD = 'correct horse battery';

/** The code of the 30-second step `offset` steps from now. */
export function totp(secretKey: string, offset = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secretKey), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + offset * 30_000 });
}

/** A six-digit code that is not valid now (nor in the neighbouring steps). */
export function wrong(secretKey: string): string {
  const valid = new Set([-1, 0, 1].map((o) => totp(secretKey, o)));
  for (let n = 0; ; n++) {
    const candidate = String((Number(totp(secretKey)) + 111_111 * (n + 1)) % 1_000_000).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

/**
 * A partner and a site made in core, and agents there whose 2FA setup spent the previous step's code
 * (so this step's and the next are unused), each with a way to issue pre-login tokens from `clientAddress`.
 */
export async function twoFactorAgents(core: Core, clientAddress: string) {
  const partner = (await core.tenants.create(null, { name: 'P' })).tenant.id;
  const site = (await core.tenants.create(null, { name: 'S', parent: partner })).tenant.id;
  let n = 0;
  return {
    partner,
    site,
    async agent() {
      const id = (await core.accounts.create(null, { tenant: site, email: `agent${++n}@example.com` })).id;
      const { secretKey } = core.twoFactor.createSecret('P', `agent${n}`);
      await core.twoFactor.saveConfig(id, secretKey, totp(secretKey, -1));
      const token = () => core.login.issuePreLoginToken({ id, tenantId: site, parentId: partner, role: 'agent' }, 'verify', false, clientAddress);
      return { id, secretKey, token };
    },
  };
}

export interface LoginWorld {
  server: TestServer;
  admin: Record<string, string>;
  partner: number;
  /** Site with 2FARequirement 1 (may skip on a trusted device). */
  trustSite: number;
  /** Site with 2FARequirement 0 (every login). */
  strictSite: number;
  /** Site with no authentication config (2FA optional). */
  openSite: number;
  agent(site: number): Promise<{ id: number; email: string }>;
  superAgent(): Promise<{ id: number; email: string }>;
  /** Gives an account 2FA directly in core (spending the previous step's code) and answers its secret. */
  enable2fa(accountId: number): Promise<string>;
  post(path: string, json: unknown, headers?: Record<string, string>): Promise<Reply>;
  get(path: string, headers?: Record<string, string>): Promise<Reply>;
  login(site: number | undefined, email: string, extra?: Record<string, unknown>, headers?: Record<string, string>): Promise<Reply>;
}

export async function startLoginWorld(dialect: Dialect, env: Record<string, string> = {}): Promise<LoginWorld> {
  const server = await startTestServer(dialect, { env });
  const core = server.runtime.core;
  const admin = apiKey(server.admin.apiKey);
  const tenant = async (name: string, parent?: number) => (await core.tenants.create(null, { name, parent })).tenant.id;
  const partner = await tenant('Partner');
  const trustSite = await tenant('Trusting site', partner);
  const strictSite = await tenant('Strict site', partner);
  const openSite = await tenant('Open site', partner);
  const post = (path: string, json: unknown, headers: Record<string, string> = {}) => call(`${server.url}${path}`, { method: 'POST', headers, json });
  for (const [siteId, requirement] of [[trustSite, 1], [strictSite, 0]] as const) {
    const r = await post(`/global/siteAuthenticationConfigs?siteId=${siteId}`, { '2FARequirement': requirement }, admin);
    if (r.status !== 200) throw new Error(`site config: ${r.status} ${r.text}`);
  }
  let n = 0;
  const person = async (tenantId: number, role: 'agent' | 'superagent') => {
    const email = `${role}${++n}@example.com`;
    const account = await core.accounts.create(null, { tenant: tenantId, email, role, password: PASSWORD });
    return { id: account.id, email };
  };
  return {
    server,
    admin,
    partner,
    trustSite,
    strictSite,
    openSite,
    agent: (site) => person(site, 'agent'),
    superAgent: () => person(partner, 'superagent'),
    async enable2fa(accountId) {
      const { secretKey } = core.twoFactor.createSecret('Partner', `account${accountId}`);
      await core.twoFactor.saveConfig(accountId, secretKey, totp(secretKey, -1));
      return secretKey;
    },
    post,
    get: (path, headers = {}) => call(`${server.url}${path}`, { headers }),
    login: (site, email, extra = {}, headers = {}) =>
      post('/global/jwtToken/login', { partnerId: partner, ...(site !== undefined && { siteId: site }), email, password: PASSWORD, ...extra }, headers),
  };
}
