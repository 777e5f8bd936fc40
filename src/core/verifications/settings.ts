/**
 * A tenant's Smart 2FA settings. The SMS-pumping defence: its allow list of destination countries (by
 * calling code) for sms and call; a send must pass the list of its tenant and of every tenant above it;
 * empty = all allowed. And its default fallback channels (fallback.ts), used when a send names none.
 */
import type { Caller } from '../callers.js';
import { requireCapability } from '../roles.js';
import type { CoreDeps } from '../context.js';
import { GatehouseError, invalid } from '../errors.js';
import type { Tenant } from '../tenants/tenants.js';
import { freshCache } from '../fresh-cache.js';
import { VerificationErrors } from './errors.js';
import type { ChannelName } from '../../channels/channel.js';
import { MAX_FALLBACKS, type FallbackStep } from './fallback.js';

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
    checkCodes(codes);
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

  // Read by every sms and call send that names no fallback: kept like the lists.
  const fallbackCache = freshCache<number, string[]>(changes);
  const storedFallback = (tenantId: number) =>
    fallbackCache.read(tenantId, async () => {
      const row = await db.selectFrom('smart2fa_settings').select('default_fallback').where('tenant_id', '=', tenantId).executeTakeFirst();
      return row ? (JSON.parse(row.default_fallback) as string[]) : [];
    });

  async function defaultFallback(caller: Caller, tenant: Pick<Tenant, 'id'>): Promise<string[]> {
    requireCapability(caller, 'codes.policy');
    return (await storedFallback(tenant.id))!;
  }

  /**
   * Channel names only: a tenant-wide default reaches the send's own number, so "sms" and "call";
   * email needs each send's address and is named by the send itself.
   */
  async function setDefaultFallback(caller: Caller, tenant: Pick<Tenant, 'id'>, channels: string[]): Promise<string[]> {
    requireCapability(caller, 'codes.policy');
    checkFallback(channels);
    const value = JSON.stringify(channels);
    await db
      .insertInto('smart2fa_settings')
      .values({ tenant_id: tenant.id, allowed_calling_codes: '[]', default_fallback: value, updated_at: Date.now() })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ default_fallback: value, updated_at: Date.now() }))
      .execute();
    return channels;
  }

  function checkFallback(channels: string[]): void {
    if (channels.length > MAX_FALLBACKS) throw invalid('defaultFallback', `may name at most ${MAX_FALLBACKS} channels`);
    channels.forEach((c, i) => {
      if (c !== 'sms' && c !== 'call') throw invalid(`defaultFallback[${i}]`, 'must be sms or call (an email fallback is named by the send, with its address)');
      if (channels.indexOf(c) !== i) throw invalid(`defaultFallback[${i}]`, `names ${c} twice`);
    });
  }

  function checkCodes(codes: string[]): void {
    codes.forEach((c, i) => {
      if (!/^[1-9]\d{0,3}$/.test(c)) throw invalid(`allowedCallingCodes[${i}]`, 'must be a calling code of 1 to 4 digits, such as "1" or "44"');
    });
  }

  /** Both settings at once (PUT /2fa/settings/countries): both are checked before either is written. */
  async function update(caller: Caller, tenant: Pick<Tenant, 'id'>, change: { allowedCallingCodes?: string[]; defaultFallback?: string[] }): Promise<void> {
    requireCapability(caller, 'codes.policy');
    if (change.allowedCallingCodes) checkCodes(change.allowedCallingCodes);
    if (change.defaultFallback) checkFallback(change.defaultFallback);
    if (change.allowedCallingCodes) await setAllowedCallingCodes(caller, tenant, change.allowedCallingCodes);
    if (change.defaultFallback) await setDefaultFallback(caller, tenant, change.defaultFallback);
  }

  /** The tenant's default chain for a send on `first` that named none: its own channel left out; none for email. */
  async function fallbackFor(tenant: Pick<Tenant, 'id'>, first: ChannelName): Promise<FallbackStep[]> {
    if (first === 'email') return [];
    return (await storedFallback(tenant.id))!.filter((c) => c !== first).map((c) => ({ channel: c as ChannelName }));
  }

  return { allowedCallingCodes, setAllowedCallingCodes, assertDestinationAllowed, defaultFallback, setDefaultFallback, update, fallbackFor };
}

export type Settings = ReturnType<typeof createSettings>;
