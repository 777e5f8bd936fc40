/** One table for every person or device that logs in: agents, super agents, admins, SIP accounts. */
import type { Selectable } from 'kysely';
import type { AccountTable } from '../../storage/database.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../storage/errors.js';
import { ACCOUNT_ROLES, type AccountRole, type Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { now } from '../crypto.js';
import { conflict, invalid, notFound } from '../errors.js';
import { ACTS_ON, type Capability, assertActsOn, assertMayCreate, requireCapability, scopeOf } from '../roles.js';
import type { Tenants } from '../tenants/tenants.js';
import { hashPassword } from './passwords.js';

export interface Account {
  id: number;
  tenantId: number;
  username: string | null;
  domain: string | null;
  email: string | null;
  phone: string | null;
  displayName: string | null;
  role: AccountRole;
  activated: boolean;
  blocked: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface NewAccount {
  tenant: string | number;
  email?: string | null;
  password?: string | null;
  role?: AccountRole;
  username?: string | null;
  domain?: string | null;
  phone?: string | null;
  displayName?: string | null;
  activated?: boolean;
}

export const toAccount = (r: Selectable<AccountTable>): Account => ({
  id: Number(r.id),
  tenantId: Number(r.tenant_id),
  username: r.username,
  domain: r.domain,
  email: r.email,
  phone: r.phone,
  displayName: r.display_name,
  role: r.role as AccountRole,
  activated: Boolean(r.activated),
  blocked: Boolean(r.blocked),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const USERNAME = /^[A-Za-z0-9._+-]{1,64}$/;

/** An account 0013_domain_owner found on a SIP domain its tenant does not own: blocked, kept for an admin. */
export interface MisplacedAccount {
  id: number;
  tenantId: number;
  tenantSid: string;
  username: string | null;
  role: string;
  /** The domain it named, which its tenant does not own. */
  domain: string;
  /** The tenant that owns that domain now, if any. */
  ownerTenantId: number | null;
}

export type Accounts = ReturnType<typeof createAccounts>;

export function createAccounts({ db }: CoreDeps, tenants: Tenants) {
  const passwordListeners: Array<(accountId: number) => Promise<void>> = [];

  /** Creates an account. No caller means the operator (CLI). */
  async function create(caller: Caller | null, input: NewAccount): Promise<Account> {
    const role = input.role ?? 'agent';
    if (!ACCOUNT_ROLES.includes(role)) throw invalid('role', `must be one of ${ACCOUNT_ROLES.join(', ')}`);
    // A Flexisip admin creates in its own domain: the one named must be it, and none named means it.
    const domain = input.domain?.trim().toLowerCase() || (caller && scopeOf(caller, 'accounts.manage') === 'domain' ? caller.domain ?? null : null);
    if (caller) assertMayCreate(caller, role, domain);
    const tenant = caller ? await tenants.get(caller, input.tenant) : await tenants.find(input.tenant);
    if (!tenant) throw invalid('tenant', 'no such tenant');
    // A SIP domain belongs to one tenant: an account names only a domain its own tenant owns (storage
    // holds the same rule as a foreign key; this answers it as a 400 first).
    if (domain !== null) {
      if (!(await tenants.ownsDomain(tenant.id, domain))) throw invalid('domain', 'is not a SIP domain of this tenant');
      if (!input.username) throw invalid('username', 'an account in a SIP domain needs a username');
      // Upstream's rule (0017): a deleted account's username is never given to anyone else in its domain.
      if (await db.selectFrom('sip_tombstones').select('username').where('domain', '=', domain).where('username', '=', input.username).executeTakeFirst()) {
        throw conflict('this username belonged to a deleted account of the domain and is not given again', 'username');
      }
    }
    const email = input.email?.trim().toLowerCase() || null;
    if (email && !EMAIL.test(email)) throw invalid('email', 'must be an email address');
    if (input.phone && !E164.test(input.phone)) throw invalid('phone', 'must be an E.164 number such as +14155550100');
    if (input.username && !USERNAME.test(input.username)) throw invalid('username', 'letters, digits and ._+- only, at most 64');
    if (!email && !input.username) throw invalid('email', 'an account needs an email or a username');
    if (input.password !== undefined && input.password !== null && input.password.length < 8) {
      throw invalid('password', 'must be at least 8 characters');
    }
    const t = now();
    const password_hash = input.password ? await hashPassword(input.password) : null;
    try {
      const row = await db
        .insertInto('accounts')
        .values({
          tenant_id: tenant.id,
          username: input.username ?? null,
          domain,
          email,
          phone: input.phone ?? null,
          display_name: input.displayName ?? null,
          role,
          activated: input.activated === false ? 0 : 1,
          blocked: 0,
          password_hash,
          created_at: t,
          updated_at: t,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toAccount(row);
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw conflict('an account with this email already exists in the tenant, or with this username in its SIP domain (in the tenant, without one)', email ? 'email' : 'username');
      }
      // The tenant (or its SIP domain) was deleted between the check above and the insert.
      if (isForeignKeyViolation(err)) throw conflict('the tenant or its SIP domain was deleted meanwhile', 'tenant');
      throw err;
    }
  }

  /** An account the caller may use the capability on (roles.ts: its own, or one in reach of a role it acts on). */
  async function get(caller: Caller, id: number, capability: Capability = 'accounts.read'): Promise<Account> {
    const row = await db
      .selectFrom('accounts')
      .innerJoin('tenants', 'tenants.id', 'accounts.tenant_id')
      .selectAll('accounts')
      .select('tenants.path as tenant_path')
      .where('accounts.id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('account');
    assertActsOn(caller, capability, { id: Number(row.id), role: row.role, tenantPath: row.tenant_path, domain: row.domain });
    return toAccount(row);
  }

  /** An account by id, no reach check: the operator's (CLI) and internal use only. */
  async function find(id: number): Promise<Account | undefined> {
    const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toAccount(row);
  }

  /** Every account, or a tenant's (operator only: the CLI), by id. */
  async function listAll(tenantId?: number): Promise<Account[]> {
    let query = db.selectFrom('accounts').selectAll().orderBy('id');
    if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
    return (await query.execute()).map(toAccount);
  }

  /** The accounts of a tenant the caller may read: with scope `own`, only its own account. */
  async function list(caller: Caller, tenantRef: string | number): Promise<Account[]> {
    if (requireCapability(caller, 'accounts.read') === 'own') {
      const own = caller.accountId === null ? undefined : await db.selectFrom('accounts').selectAll().where('id', '=', caller.accountId).executeTakeFirst();
      const tenant = await tenants.find(tenantRef);
      return own && tenant && Number(own.tenant_id) === tenant.id ? [toAccount(own)] : [];
    }
    const tenant = await tenants.get(caller, tenantRef);
    const actsOn = ACTS_ON[caller.role].length ? [...ACTS_ON[caller.role]] : ['-'];
    // A `domain` scope (a Flexisip admin) lists the accounts of its own SIP domain only.
    const inDomain = scopeOf(caller, 'accounts.read') === 'domain';
    const rows = await db
      .selectFrom('accounts')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .where((eb) =>
        eb.or([
          inDomain ? eb.and([eb('role', 'in', actsOn), eb('domain', '=', caller.domain ?? '\0')]) : eb('role', 'in', actsOn),
          eb('id', '=', caller.accountId ?? 0),
        ]),
      )
      .orderBy('id')
      .execute();
    return rows.map(toAccount);
  }

  /** Every account 0013 took out of a SIP domain its tenant does not own (operator only: the CLI, the start report). */
  async function misplaced(): Promise<MisplacedAccount[]> {
    const rows = await db
      .selectFrom('accounts')
      .innerJoin('tenants', 'tenants.id', 'accounts.tenant_id')
      .leftJoin('sip_domains', 'sip_domains.domain', 'accounts.misplaced_domain')
      .select(['accounts.id', 'accounts.tenant_id', 'tenants.sid', 'accounts.username', 'accounts.role', 'accounts.misplaced_domain', 'sip_domains.tenant_id as owner'])
      .where('accounts.misplaced_domain', 'is not', null)
      .orderBy('accounts.id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      tenantId: Number(r.tenant_id),
      tenantSid: r.sid,
      username: r.username,
      role: r.role,
      domain: r.misplaced_domain!,
      ownerTenantId: r.owner === null ? null : Number(r.owner),
    }));
  }

  /** Changes an account. No caller means the operator (CLI). */
  async function update(
    caller: Caller | null,
    id: number,
    changes: { blocked?: boolean; activated?: boolean; password?: string; displayName?: string | null; phone?: string | null },
  ): Promise<Account> {
    if (caller) await get(caller, id, 'accounts.manage');
    else if (!(await db.selectFrom('accounts').select('id').where('id', '=', id).executeTakeFirst())) throw notFound('account');
    if (changes.password !== undefined && changes.password.length < 8) throw invalid('password', 'must be at least 8 characters');
    if (changes.phone && !E164.test(changes.phone)) throw invalid('phone', 'must be an E.164 number such as +14155550100');
    const row = await db
      .updateTable('accounts')
      .set({
        ...(changes.blocked !== undefined && { blocked: changes.blocked ? 1 : 0 }),
        ...(changes.activated !== undefined && { activated: changes.activated ? 1 : 0 }),
        ...(changes.password !== undefined && { password_hash: await hashPassword(changes.password) }),
        ...(changes.displayName !== undefined && { display_name: changes.displayName }),
        ...(changes.phone !== undefined && { phone: changes.phone }),
        updated_at: now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (changes.password !== undefined) for (const listener of passwordListeners) await listener(id);
    return toAccount(row);
  }

  /**
   * An admin's resolution of a misplaced account (operator only): `delete` removes it and what hangs
   * on it; `restore` puts it back in its domain once its tenant owns that domain (it stays blocked
   * until unblocked). 404 for an account that is not misplaced.
   */
  async function resolveMisplaced(id: number, action: 'delete' | 'restore'): Promise<void> {
    const row = await db.selectFrom('accounts').select(['id', 'tenant_id', 'misplaced_domain']).where('id', '=', id).where('misplaced_domain', 'is not', null).executeTakeFirst();
    if (!row) throw notFound('misplaced account');
    if (action === 'delete') {
      await db.deleteFrom('accounts').where('id', '=', id).execute();
      return;
    }
    if (!(await tenants.ownsDomain(Number(row.tenant_id), row.misplaced_domain!))) {
      throw invalid('domain', `${row.misplaced_domain} is not a SIP domain of the account's tenant: give it the domain first, or delete the account`);
    }
    try {
      await db.updateTable('accounts').set({ domain: row.misplaced_domain, misplaced_domain: null, updated_at: now() }).where('id', '=', id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('another account of the domain holds this username', 'username');
      throw err;
    }
  }

  return {
    create,
    get,
    find,
    listAll,
    list,
    update,
    misplaced,
    resolveMisplaced,
    /** Subscribes to password changes (core.ts revokes the account's JWTs and sessions there). */
    onPasswordChange(listener: (accountId: number) => Promise<void>): void {
      passwordListeners.push(listener);
    },
  };
}
