/**
 * First start on an empty database: one bootstrap tenant and one admin API key, printed once by the
 * caller. The meta row makes it happen once even when several nodes start together.
 */
import type { Core } from './core.js';

export interface BootstrapCredentials {
  tenant: { id: number; sid: string; authToken: string };
  apiKey: string;
}

export async function bootstrapIfEmpty(core: Core): Promise<BootstrapCredentials | null> {
  const claimed = await core.deps.db
    .insertInto('meta')
    .values({ key: 'bootstrapped_at', value: new Date().toISOString() })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key')
    .executeTakeFirst();
  if (!claimed) return null;
  const existing = await core.deps.db.selectFrom('tenants').select('id').limit(1).executeTakeFirst();
  if (existing) return null;
  const { tenant, authToken } = await core.tenants.create(null, { name: 'bootstrap' });
  const { apiKey } = await createAdminKey(core, tenant.id);
  return { tenant: { id: tenant.id, sid: tenant.sid, authToken }, apiKey };
}

/** An admin account in the tenant (the bootstrap tenant when none is named) and its API key. */
export async function createAdminKey(core: Core, tenantRef?: string | number): Promise<{ accountId: number; apiKey: string }> {
  let ref = tenantRef;
  if (ref === undefined) {
    const first = await core.deps.db.selectFrom('tenants').select('id').orderBy('id').limit(1).executeTakeFirst();
    ref = first ? Number(first.id) : (await core.tenants.create(null, { name: 'bootstrap' })).tenant.id;
  }
  const account = await core.accounts.create(null, {
    tenant: ref,
    role: 'admin',
    username: `admin-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`,
  });
  const { apiKey } = await core.credentials.createApiKey(null, { accountId: account.id, name: 'admin' });
  return { accountId: account.id, apiKey };
}
