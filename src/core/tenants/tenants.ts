/** The tenant tree: partners own sites (Comm100), accounts own sub-accounts (Smart 2FA), tenants own SIP domains. */
import { isEmailAddress } from '../../channels/smtp.js';
import { type Caller, assertReaches, reaches } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { newSid, newToken, now, sha256Hex } from '../crypto.js';
import { conflict, forbidden, invalid, notFound } from '../errors.js';
import { assertMintsNoLongerThan } from '../credentials/lifetimes.js';
import { creatorOf, secretPrefix } from '../credentials/provenance.js';
import { requireCapability } from '../roles.js';
import type { TenantTable } from '../../storage/database.js';
import { isUniqueViolation } from '../../storage/errors.js';
import type { Selectable } from 'kysely';

export interface Tenant {
  id: number;
  sid: string;
  name: string;
  parentId: number | null;
  path: string;
  /** Contact email, shown as Smart 2FA's accountEmail; null when none was given. */
  email: string | null;
  createdAt: number;
}

export const AUTH_TOKEN_PREFIX = 'ght_';
/** The largest id an integer column holds on both dialects. */
export const MAX_ID = 2 ** 31 - 1;

const toTenant = (r: Selectable<TenantTable>): Tenant => ({
  id: Number(r.id),
  sid: r.sid,
  name: r.name,
  parentId: r.parent_id === null ? null : Number(r.parent_id),
  path: r.path,
  email: r.email ?? null,
  createdAt: Number(r.created_at),
});

export type Tenants = ReturnType<typeof createTenants>;

/** One bare address; empty means none. */
function contactEmail(value: string | null | undefined): string | null {
  const email = value?.trim() ?? '';
  if (!email) return null;
  if (!isEmailAddress(email)) throw invalid('email', 'must be one email address such as jane@company.com');
  return email;
}

export function createTenants({ db }: CoreDeps) {
  /** A tenant by numeric id or SID; no reach check (internal use). */
  async function find(ref: string | number): Promise<Tenant | undefined> {
    const text = String(ref);
    const query = db.selectFrom('tenants').selectAll();
    // Ids are 32-bit columns: a larger number names no tenant (and must not reach the column).
    const row = /^\d{1,10}$/.test(text) && Number(text) <= MAX_ID
      ? await query.where('id', '=', Number(text)).executeTakeFirst()
      : /^AC[0-9a-f]{32}$/.test(text)
        ? await query.where('sid', '=', text).executeTakeFirst()
        : undefined;
    return row && toTenant(row);
  }

  async function get(caller: Caller, ref: string | number): Promise<Tenant> {
    const tenant = await find(ref);
    if (!tenant) throw notFound('tenant');
    assertReaches(caller, tenant.path);
    return tenant;
  }

  /** Creates a tenant and its first auth token (shown once). No caller means the operator (CLI). */
  async function create(caller: Caller | null, input: { name: string; parent?: string | number | null; email?: string | null }) {
    const name = input.name.trim();
    if (!name) throw invalid('name', 'must not be empty');
    const email = contactEmail(input.email);
    if (caller) {
      requireCapability(caller, 'tenants.manage');
      assertMintsNoLongerThan(caller, null, 'an auth token');
    }
    let parent: Tenant | undefined;
    if (input.parent !== undefined && input.parent !== null && input.parent !== '') {
      parent = await find(input.parent);
      if (!parent) throw invalid('parent', 'no such tenant');
      if (caller && !reaches(caller, parent.path)) throw forbidden('the parent tenant is outside the caller\'s reach');
    } else if (caller && caller.role !== 'admin') {
      // A tenant creates sub-accounts under itself.
      parent = await find(caller.tenantId);
    }
    const sid = newSid('AC');
    const authToken = newToken(AUTH_TOKEN_PREFIX);
    const t = now();
    const tenant = await db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('tenants')
        .values({ sid, name, parent_id: parent?.id ?? null, path: `${parent?.path ?? '/'}${sid}/`, email, created_at: t, updated_at: t })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx.insertInto('auth_tokens').values({ tenant_id: row.id, token_hash: sha256Hex(authToken), prefix: secretPrefix(authToken), created_by: creatorOf(caller), created_at: t }).execute();
      return toTenant(row);
    });
    return { tenant, authToken };
  }

  /** Every tenant (operator only: the CLI), by id. */
  async function all(): Promise<Tenant[]> {
    return (await db.selectFrom('tenants').selectAll().orderBy('id').execute()).map(toTenant);
  }

  /** The tenants a caller reaches: all for an admin, else its own subtree. */
  async function list(caller: Caller, options: { parent?: string | number } = {}): Promise<Tenant[]> {
    requireCapability(caller, 'tenants.read');
    let query = db.selectFrom('tenants').selectAll().orderBy('id');
    if (caller.role !== 'admin') query = query.where('path', 'like', `${caller.tenantPath}%`);
    if (options.parent !== undefined) {
      const parent = await get(caller, options.parent);
      query = query.where('parent_id', '=', parent.id);
    }
    return (await query.execute()).map(toTenant);
  }

  /** Sets or clears (null) a tenant's contact email. */
  async function setEmail(caller: Caller | null, ref: string | number, value: string | null): Promise<Tenant> {
    if (caller) requireCapability(caller, 'tenants.manage');
    const tenant = caller ? await get(caller, ref) : await find(ref);
    if (!tenant) throw notFound('tenant');
    const email = contactEmail(value);
    await db.updateTable('tenants').set({ email, updated_at: now() }).where('id', '=', tenant.id).execute();
    return { ...tenant, email };
  }

  async function addAuthToken(caller: Caller, ref: string | number) {
    requireCapability(caller, 'tenants.manage');
    assertMintsNoLongerThan(caller, null, 'an auth token');
    const tenant = await get(caller, ref);
    const authToken = newToken(AUTH_TOKEN_PREFIX);
    const row = await db
      .insertInto('auth_tokens')
      .values({ tenant_id: tenant.id, token_hash: sha256Hex(authToken), prefix: secretPrefix(authToken), created_by: creatorOf(caller), created_at: now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: Number(row.id), authToken };
  }

  async function revokeAuthToken(caller: Caller, ref: string | number, tokenId: number) {
    requireCapability(caller, 'tenants.manage');
    const tenant = await get(caller, ref);
    const result = await db.deleteFrom('auth_tokens').where('id', '=', tokenId).where('tenant_id', '=', tenant.id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('auth token');
  }

  async function addSipDomain(caller: Caller, ref: string | number, domain: string) {
    requireCapability(caller, 'tenants.manage');
    const tenant = await get(caller, ref);
    const name = domain.toLowerCase();
    if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(name)) {
      throw invalid('domain', 'must be a DNS name');
    }
    try {
      await db.insertInto('sip_domains').values({ tenant_id: tenant.id, domain: name, created_at: now() }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('this SIP domain is already owned', 'domain');
      throw err;
    }
    return { domain: name, tenantId: tenant.id };
  }

  /** Whether the tenant owns the SIP domain (its row in sip_domains): the one test of domain ownership. */
  async function ownsDomain(tenantId: number, domain: string): Promise<boolean> {
    const row = await db.selectFrom('sip_domains').select('id').where('domain', '=', domain.toLowerCase()).where('tenant_id', '=', tenantId).executeTakeFirst();
    return row !== undefined;
  }

  async function listSipDomains(caller: Caller, ref: string | number) {
    requireCapability(caller, 'tenants.read');
    const tenant = await get(caller, ref);
    const rows = await db.selectFrom('sip_domains').select(['domain', 'created_at']).where('tenant_id', '=', tenant.id).orderBy('domain').execute();
    return rows.map((r) => ({ domain: r.domain, createdAt: Number(r.created_at) }));
  }

  return { find, get, create, all, list, setEmail, addAuthToken, revokeAuthToken, addSipDomain, ownsDomain, listSipDomains };
}
