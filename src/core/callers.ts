/**
 * Who is calling. Every face turns a request's credentials into a Caller through core/credentials,
 * and every core function that touches a tenant's data checks reach with `reaches`. What each role
 * may do is the table in roles.ts.
 */
import { forbidden } from './errors.js';

export type AccountRole = 'admin' | 'superagent' | 'agent' | 'siteadmin' | 'sip' | 'sipadmin';
export const ACCOUNT_ROLES: readonly AccountRole[] = ['admin', 'superagent', 'agent', 'siteadmin', 'sip', 'sipadmin'];

/** A site's agents: plain agents and the agents who administer the site (Comm100's site administrators). */
export const SITE_AGENT_ROLES = ['agent', 'siteadmin'] as const;
export const isSiteAgent = (role: string): boolean => role === 'agent' || role === 'siteadmin';

export interface Caller {
  tenantId: number;
  tenantSid: string;
  /** The tenant's path of SIDs ("/AC…/AC…/"): a tenant reaches every tenant whose path starts with it. */
  tenantPath: string;
  /** Null when the tenant itself calls (HTTP Basic with its SID and auth token). */
  accountId: number | null;
  role: AccountRole | 'tenant';
  /**
   * The SIP domain of the caller's account (null or absent: none). A Flexisip admin's `domain`
   * scope (roles.ts) covers this domain only, so every Caller of an account must carry it.
   */
  domain?: string | null;
  via: 'basic' | 'api_key' | 'jwt' | 'digest';
  /** When the credential stops working (ms); absent or null: never. What it mints may not outlive it. */
  expiresAt?: number | null;
}

/** An admin account is the operator of the whole deployment; everyone else reaches their own subtree. */
export function reaches(caller: Caller, tenantPath: string): boolean {
  return caller.role === 'admin' || tenantPath.startsWith(caller.tenantPath);
}

export function assertReaches(caller: Caller, tenantPath: string): void {
  if (!reaches(caller, tenantPath)) throw forbidden('this tenant is outside the caller\'s reach');
}
