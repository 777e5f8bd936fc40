/**
 * Who may do what: the one table of roles × capabilities, and the checks every route and core
 * function consults. A route declares its capability (config.capability) and the authentication
 * hook refuses a caller whose cell is empty before the handler runs; a core function that acts on
 * one account asks `assertActsOn`, which adds the cell's scope (own account only, the accounts of
 * its own SIP domain, or everyone in reach) and the rank rule (nobody acts on an account whose role
 * is above their own).
 *
 * The README's "Roles" table is generated from this file (roleTableMarkdown) and a test keeps the
 * two equal; another test walks every cell over HTTP. A new capability is one line in CAPABILITIES.
 */
import type { AccountRole, Caller } from './callers.js';
import { reaches } from './callers.js';
import { forbidden } from './errors.js';

export type Role = AccountRole | 'tenant';

/** The table's columns, in the README's order. */
export const ROLES: readonly Role[] = ['admin', 'tenant', 'superagent', 'siteadmin', 'agent', 'sipadmin', 'sip'];

export const ROLE_TITLES: Record<Role, string> = {
  admin: 'deployment admin',
  tenant: 'tenant credentials',
  superagent: 'super agent',
  siteadmin: 'site admin',
  agent: 'agent',
  sipadmin: 'Flexisip admin',
  sip: 'Flexisip user',
};

/**
 * `all`: anyone (or any tenant) in the caller's reach; `domain`: the accounts in reach that sit in
 * the caller's own SIP domain (a Flexisip admin, on every face); `own`: only the caller's own
 * account; absent: refused.
 */
export type Scope = 'all' | 'domain' | 'own';

type Cells = Partial<Record<Role, Scope>>;

/** One line per capability: what it allows, then each role's cell. */
export const CAPABILITIES = {
  'codes.send': ['send, verify and cancel one-time codes', { admin: 'all', tenant: 'all', superagent: 'all', siteadmin: 'all', agent: 'all' }],
  'codes.policy': ['manage limits and destination-country settings', { admin: 'all', tenant: 'all' }],
  'records.read': ['read session detail records and usage', { admin: 'all', tenant: 'all' }],
  'tenants.read': ['read the tenants in reach and their SIP domains', { admin: 'all', tenant: 'all', superagent: 'all', siteadmin: 'all', agent: 'all', sipadmin: 'all', sip: 'all' }],
  'tenants.manage': ['create sub-tenants, auth tokens and SIP domains', { admin: 'all', tenant: 'all' }],
  'accounts.read': ['read accounts', { admin: 'all', tenant: 'all', superagent: 'all', siteadmin: 'own', agent: 'own', sipadmin: 'domain', sip: 'own' }],
  'accounts.manage': ['create, block and change accounts (password)', { admin: 'all', tenant: 'all', sipadmin: 'domain' }],
  'sip.self': ['manage one\'s own SIP account (Flexisip User endpoints: password, email, phone, devices, provisioning, deletion)', { sipadmin: 'own', sip: 'own' }],
  'credentials.mint': ['mint and revoke API keys and JWTs', { admin: 'all', tenant: 'all', superagent: 'own', siteadmin: 'own', agent: 'own', sipadmin: 'domain', sip: 'own' }],
  'twofactor.manage': ['2FA secrets, configs, backup codes and trusted devices', { admin: 'all', tenant: 'all', superagent: 'all', siteadmin: 'own', agent: 'own' }],
  // A site admin's reach is its own site: 'all' there is that site only.
  'site.policy': ['set a site\'s 2FA requirement (Comm100 site config)', { admin: 'all', tenant: 'all', superagent: 'all', siteadmin: 'all' }],
  'audit.read': ['read the login and 2FA audit trail', { admin: 'all', tenant: 'all', superagent: 'all', siteadmin: 'own', agent: 'own' }],
  // A super agent administers its partner's people and lines: it reads who changed them (its tree), as it reads their logins.
  'changes.read': ['read the admin audit trail (who changed what, done or refused)', { admin: 'all', tenant: 'all', superagent: 'all' }],
  'outbox.read': ['read the development outbox', { admin: 'all' }],
  // A voice token's identity is the caller's account: only people who take calls get one.
  'voice.token': ['get a Twilio Access Token for the browser', { superagent: 'all', siteadmin: 'all', agent: 'all' }],
  'voice.lines.read': ['read phone lines', { admin: 'all', tenant: 'all', superagent: 'all', siteadmin: 'all', agent: 'all' }],
  'voice.lines.manage': ['create, change and delete phone lines', { admin: 'all', tenant: 'all', superagent: 'all' }],
  'voice.numbers.read': ['read the Twilio phone numbers for lines', { admin: 'all', tenant: 'all', superagent: 'all' }],
  'voice.numbers.assign': ['give a deployment number to a site', { admin: 'all' }],
  'voice.records.read': ['read call records', { admin: 'all', tenant: 'all', superagent: 'all' }],
  'voice.account.manage': ['set a site\'s own Twilio account', { admin: 'all', tenant: 'all' }],
  'webhooks.manage': ['register, list and delete event webhooks; list their deliveries and resend one', { admin: 'all', tenant: 'all' }],
  // A passkey is made by its owner's authenticator: nobody registers, renames or removes another's (an admin's 2FA reset removes them all).
  'passkeys.manage': ['register, list, rename and remove one\'s own passkeys', { superagent: 'own', siteadmin: 'own', agent: 'own' }],
  // As minting: who may revoke a credential sees it (prefix, owner, dates; never the secret). Auth tokens need `all`.
  'credentials.read': ['list API keys and auth tokens (prefix, owner, created, expires, last used, by whom)', { admin: 'all', tenant: 'all', superagent: 'own', siteadmin: 'own', agent: 'own', sipadmin: 'domain', sip: 'own' }],
} as const satisfies Record<string, readonly [string, Cells]>;

export type Capability = keyof typeof CAPABILITIES;

/**
 * The rank rule: which account roles each role may act on besides its own account. Nobody acts on a
 * role above their own: only an admin acts on an admin; a tenant's credentials on the people of its
 * tree; a super agent on agents, site admins and super agents; a Flexisip admin on Flexisip accounts.
 * A site admin (an agent who administers its site, made by those who manage the site) acts on no
 * other account: what it adds to an agent is the site's policy.
 */
export const ACTS_ON: Record<Role, readonly AccountRole[]> = {
  admin: ['admin', 'superagent', 'siteadmin', 'agent', 'sipadmin', 'sip'],
  tenant: ['superagent', 'siteadmin', 'agent', 'sipadmin', 'sip'],
  superagent: ['superagent', 'siteadmin', 'agent'],
  siteadmin: [],
  agent: [],
  sipadmin: ['sipadmin', 'sip'],
  sip: [],
};

export const CAPABILITY_NAMES = Object.keys(CAPABILITIES) as Capability[];

export const isCapability = (name: string): name is Capability => Object.hasOwn(CAPABILITIES, name);

/** The caller's scope for a capability, or null when its role has none. */
export function scopeOf(caller: Pick<Caller, 'role'>, capability: Capability): Scope | null {
  const cells: Cells = CAPABILITIES[capability][1];
  return cells[caller.role] ?? null;
}

export const can = (caller: Pick<Caller, 'role'>, capability: Capability): boolean => scopeOf(caller, capability) !== null;

/** Refuses (403) a caller whose role lacks the capability. */
export function requireCapability(caller: Pick<Caller, 'role'>, capability: Capability): Scope {
  const scope = scopeOf(caller, capability);
  if (!scope) throw forbidden(`a ${ROLE_TITLES[caller.role]} may not ${CAPABILITIES[capability][0]}`);
  return scope;
}

export interface AccountTarget {
  id: number;
  role: string;
  tenantPath: string;
  /** The account's SIP domain; absent or null when it has none (then no `domain` scope reaches it). */
  domain?: string | null;
}

/** Whether a `domain` scope covers this SIP domain: the caller's own, and only when it has one. */
const inCallerDomain = (caller: Caller, domain: string | null | undefined): boolean =>
  typeof caller.domain === 'string' && caller.domain !== '' && domain === caller.domain;

/** Whether the caller may use the capability on this account: its own, or one in reach (and in its domain, for `domain`) whose role it acts on. */
export function mayActOn(caller: Caller, capability: Capability, target: AccountTarget): boolean {
  const scope = scopeOf(caller, capability);
  if (!scope) return false;
  if (caller.accountId !== null && caller.accountId === target.id) return true;
  if (scope === 'own') return false;
  if (scope === 'domain' && !inCallerDomain(caller, target.domain)) return false;
  return reaches(caller, target.tenantPath) && (ACTS_ON[caller.role] as readonly string[]).includes(target.role);
}

export function assertActsOn(caller: Caller, capability: Capability, target: AccountTarget): void {
  if (mayActOn(caller, capability, target)) return;
  const scope = requireCapability(caller, capability);
  if (!reaches(caller, target.tenantPath)) throw forbidden('this account is outside the caller\'s reach');
  if (scope === 'own') throw forbidden(`a ${ROLE_TITLES[caller.role]} may ${CAPABILITIES[capability][0]} for its own account only`);
  if (scope === 'domain' && !inCallerDomain(caller, target.domain)) throw forbidden('this account is outside the caller\'s SIP domain');
  throw forbidden(`a ${ROLE_TITLES[caller.role]} may not act on a ${ROLE_TITLES[target.role as Role] ?? target.role} account`);
}

/**
 * May the caller create an account of this role in this SIP domain (the rank rule, and a `domain`
 * scope's confinement, applied to a new account)? Whether the tenant owns the domain is storage's
 * and accounts.create's to check.
 */
export function assertMayCreate(caller: Caller, role: AccountRole, domain: string | null = null): void {
  const scope = requireCapability(caller, 'accounts.manage');
  if (!ACTS_ON[caller.role].includes(role)) throw forbidden(`a ${ROLE_TITLES[caller.role]} may not create a ${ROLE_TITLES[role]} account`);
  if (scope === 'domain' && !inCallerDomain(caller, domain)) throw forbidden('a new account must be in the caller\'s own SIP domain');
}

// The lifetime rule is core/credentials/lifetimes.ts (one rule for every credential); kept here for its importers.
export { assertMintsNoLongerThan } from './credentials/lifetimes.js';

const mark = (scope: Scope | undefined) => (scope === 'all' ? 'yes' : scope === 'own' ? 'own' : scope === 'domain' ? 'own domain' : '—');

/** The README's table, generated from CAPABILITIES and ACTS_ON. */
export function roleTableMarkdown(): string {
  const head = `| capability | ${ROLES.map((r) => `${ROLE_TITLES[r]} (\`${r}\`)`).join(' | ')} |`;
  const rule = `| --- | ${ROLES.map(() => ':-:').join(' | ')} |`;
  const rows = CAPABILITY_NAMES.map((c) => {
    const [what, cells] = CAPABILITIES[c] as readonly [string, Cells];
    return `| \`${c}\`: ${what} | ${ROLES.map((r) => mark(cells[r])).join(' | ')} |`;
  });
  const actsOn = `| acts on accounts of role | ${ROLES.map((r) => (ACTS_ON[r].length ? ACTS_ON[r].map((a) => `\`${a}\``).join(', ') : 'its own only')).join(' | ')} |`;
  return [head, rule, ...rows, actsOn].join('\n');
}
