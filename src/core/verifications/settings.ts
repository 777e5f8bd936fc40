/**
 * The SMS-pumping defence: a tenant's allow list of destination countries (by calling code) for sms
 * and call. A send must pass the list of its tenant and of every tenant above it; empty = all allowed.
 */
import type { Caller } from '../callers.js';
import { requireCapability } from '../roles.js';
import type { CoreDeps } from '../context.js';
import { GatehouseError, invalid } from '../errors.js';
import type { Tenant } from '../tenants/tenants.js';
import { freshCache } from '../fresh-cache.js';
import { VerificationErrors } from './errors.js';

export function createSettings({ db, statements, changes }: CoreDeps) {
  // Every sms and call send reads the lists on its tenant's path: kept parsed in a fresh cache, so
  // a change is seen by the next send here and within FRESH_MS on another node.
  const listsOnPath = statements.prepare<{ allowed_calling_codes: string }>(
    "select s.allowed_calling_codes from smart2fa_settings s inner join tenants t on t.id = s.tenant_id where ? like t.path || '%'",
  );
  const listsCache = freshCache<string, string[][]>(changes);
  const lists = (path: string) =>
    listsCache.read(path, async () => (await listsOnPath.all(path)).map((row) => JSON.parse(row.allowed_calling_codes) as string[]));

  async function allowedCallingCodes(caller: Caller, tenant: Pick<Tenant, 'id'>): Promise<string[]> {
    requireCapability(caller, 'codes.policy');
    const row = await db.selectFrom('smart2fa_settings').select('allowed_calling_codes').where('tenant_id', '=', tenant.id).executeTakeFirst();
    return row ? (JSON.parse(row.allowed_calling_codes) as string[]) : [];
  }

  async function setAllowedCallingCodes(caller: Caller, tenant: Pick<Tenant, 'id'>, codes: string[]): Promise<string[]> {
    requireCapability(caller, 'codes.policy');
    codes.forEach((c, i) => {
      if (!/^[1-9]\d{0,3}$/.test(c)) throw invalid(`allowedCallingCodes[${i}]`, 'must be a calling code of 1 to 4 digits, such as "1" or "44"');
    });
    const unique = [...new Set(codes)].sort();
    const value = JSON.stringify(unique);
    await db
      .insertInto('smart2fa_settings')
      .values({ tenant_id: tenant.id, allowed_calling_codes: value, updated_at: Date.now() })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ allowed_calling_codes: value, updated_at: Date.now() }))
      .execute();
    return unique;
  }

  /** Refuses a phone number outside any allow list on the tenant's path (at most one query). */
  async function assertDestinationAllowed(tenant: Pick<Tenant, 'path'>, to: string): Promise<void> {
    for (const codes of (await lists(tenant.path))!) {
      if (codes.length > 0 && !codes.some((c) => to.startsWith('+' + c))) {
        throw new GatehouseError(VerificationErrors.countryNotAllowed, 'Destination country is not allowed for this account', { field: 'to' });
      }
    }
  }

  return { allowedCallingCodes, setAllowedCallingCodes, assertDestinationAllowed };
}

export type Settings = ReturnType<typeof createSettings>;
