/**
 * Who may do what on SIP accounts through the Flexisip face. Admins: the deployment admin (every
 * domain), a tenant (the domains of its subtree), and whoever the roles table gives the `domain`
 * scope on accounts (a Flexisip admin: its own account's domain, as on /admin/…). Users: a SIP
 * account, itself only.
 */
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { forbidden } from '../errors.js';
import { scopeOf } from '../roles.js';

/** The domains a caller administers: every domain, or a list (possibly empty). */
export type DomainScope = { all: true } | { all: false; domains: string[] };

export function createAccess({ db }: CoreDeps) {
  async function adminScope(caller: Caller): Promise<DomainScope> {
    if (caller.role === 'admin') return { all: true };
    if (caller.role === 'tenant') {
      const rows = await db
        .selectFrom('sip_domains')
        .innerJoin('tenants', 'tenants.id', 'sip_domains.tenant_id')
        .select('sip_domains.domain')
        .where('tenants.path', 'like', `${caller.tenantPath}%`)
        .orderBy('sip_domains.domain')
        .execute();
      return { all: false, domains: rows.map((r) => r.domain) };
    }
    if (caller.accountId !== null && scopeOf(caller, 'accounts.manage') === 'domain') {
      return { all: false, domains: caller.domain ? [caller.domain] : [] };
    }
    throw forbidden('an admin credential is required');
  }

  const inScope = (scope: DomainScope, domain: string | null) => domain !== null && (scope.all || scope.domains.includes(domain));

  /** The SIP account a User endpoint acts on: the caller's own. */
  function selfOf(caller: Caller): number {
    if (caller.accountId === null || (caller.role !== 'sip' && caller.role !== 'sipadmin')) {
      throw forbidden('a SIP account credential is required');
    }
    return caller.accountId;
  }

  return { adminScope, inScope, selfOf };
}

export type Access = ReturnType<typeof createAccess>;
