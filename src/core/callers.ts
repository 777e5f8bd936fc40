/**
 * Who is calling. Every face turns a request's credentials into a Caller through core/credentials,
 * and every core function that touches a tenant's data checks reach with `reaches`.
 */
import { forbidden } from './errors.js';

export type AccountRole = 'admin' | 'superagent' | 'agent' | 'sip' | 'sipadmin';
export const ACCOUNT_ROLES: readonly AccountRole[] = ['admin', 'superagent', 'agent', 'sip', 'sipadmin'];

export interface Caller {
  tenantId: number;
  tenantSid: string;
  /** The tenant's path of SIDs ("/AC…/AC…/"): a tenant reaches every tenant whose path starts with it. */
  tenantPath: string;
  /** Null when the tenant itself calls (HTTP Basic with its SID and auth token). */
  accountId: number | null;
  role: AccountRole | 'tenant';
  via: 'basic' | 'api_key' | 'jwt' | 'digest';
}

/** An admin account is the operator of the whole deployment; everyone else reaches their own subtree. */
export function reaches(caller: Caller, tenantPath: string): boolean {
  return caller.role === 'admin' || tenantPath.startsWith(caller.tenantPath);
}

export function assertReaches(caller: Caller, tenantPath: string): void {
  if (!reaches(caller, tenantPath)) throw forbidden('this tenant is outside the caller\'s reach');
}

export function assertAdmin(caller: Caller): void {
  if (caller.role !== 'admin') throw forbidden('an admin credential is required');
}

/** Tenant-level management: the tenant's own credentials or an admin. */
export function forbiddenUnlessManager(caller: Caller): void {
  if (caller.role !== 'admin' && caller.role !== 'tenant') throw forbidden('a tenant or admin credential is required');
}
