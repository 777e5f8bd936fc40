/** Per-site 2FA policy (the Comm100 "site authentication config"). */
import type { Db } from '../../storage/database.js';
import { now } from '../crypto.js';

export type TwoFactorRequirement = 0 | 1;

export function createSitePolicy(db: Db) {
  async function requirement(tenantId: number): Promise<TwoFactorRequirement | null> {
    const row = await db.selectFrom('site_authentication_configs').select('requirement').where('tenant_id', '=', tenantId).executeTakeFirst();
    return row ? (Number(row.requirement) === 1 ? 1 : 0) : null;
  }

  /** `create` refuses a site that already has a config; `upsert` sets it either way. */
  async function set(tenantId: number, value: TwoFactorRequirement): Promise<TwoFactorRequirement> {
    const t = now();
    await db
      .insertInto('site_authentication_configs')
      .values({ tenant_id: tenantId, requirement: value, created_at: t, updated_at: t })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ requirement: value, updated_at: t }))
      .execute();
    return value;
  }

  return { requirement, set };
}
