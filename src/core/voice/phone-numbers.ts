/**
 * The Twilio numbers a caller may put on a phone line. The deployment admin sees every number of the
 * deployment's account; a site sees those of the account serving it when it brought its own, and the
 * deployment's numbers an admin assigned to it (or to a tenant above it). Twilio's list is cached
 * for a short while per account, since a line form asks for it on every open; a number missing from
 * the cached list is looked up again before it is refused (it may have been bought a moment ago).
 * Which line uses a number is read fresh each time.
 */
import { type IncomingNumber, TwilioNumbersError, listIncomingNumbers } from '../../channels/twilio-numbers.js';
import { sql } from 'kysely';
import { isE164 } from '../../channels/twilio.js';
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { now } from '../crypto.js';
import { GatehouseError, conflict, invalid, notFound } from '../errors.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import { requireCapability } from '../roles.js';
import { VoiceErrors } from './errors.js';
import type { TwilioAccount, TwilioAccounts } from './twilio-accounts.js';

export const NUMBERS_CACHE_MS = 60_000;

export interface PhoneNumberView extends IncomingNumber {
  /** The site an admin assigned this deployment number to, if any. */
  assignedSiteId: number | null;
  lineId: number | null;
  lineName: string | null;
  inUse: boolean;
}

export type PhoneNumbers = ReturnType<typeof createPhoneNumbers>;

export function createPhoneNumbers({ db }: CoreDeps, tenants: Tenants, accounts: TwilioAccounts) {
  const cache = new Map<string, { at: number; numbers: Promise<IncomingNumber[]> }>();

  function twilioNumbers(account: TwilioAccount, fresh = false): Promise<IncomingNumber[]> {
    const hit = cache.get(account.accountSid);
    if (hit && !fresh && now() - hit.at < NUMBERS_CACHE_MS) return hit.numbers;
    const numbers = listIncomingNumbers(account.rest, account.accountSid).catch((err: unknown) => {
      cache.delete(account.accountSid);
      if (err instanceof TwilioNumbersError) throw new GatehouseError(VoiceErrors.twilioUnavailable, err.message);
      throw err;
    });
    // Concurrent readers share one request; a failure is not cached.
    cache.set(account.accountSid, { at: now(), numbers });
    return numbers;
  }

  /** The numbers a tenant may use: its own account's, or the deployment's assigned on its path. */
  async function numbersOf(tenant: Tenant, fresh = false): Promise<Array<IncomingNumber & { assignedSiteId: number | null }>> {
    const account = await accounts.forTenant(tenant);
    if (!account) return [];
    const all = await twilioNumbers(account, fresh);
    if (account.ownerTenantId !== null) return all.map((n) => ({ ...n, assignedSiteId: null }));
    const assigned = await db
      .selectFrom('voice_number_assignments as a')
      .innerJoin('tenants as t', 't.id', 'a.tenant_id')
      .select(['a.phone_number', 'a.tenant_id'])
      .where(sql<boolean>`${tenant.path} like t.path || '%'`)
      .execute();
    const to = new Map(assigned.map((a) => [a.phone_number, Number(a.tenant_id)]));
    return all.filter((n) => to.has(n.phoneNumber)).map((n) => ({ ...n, assignedSiteId: to.get(n.phoneNumber)! }));
  }

  /**
   * Which line uses each number. A number assigned to a partner serves all its sites, so the line on
   * it may be another site's (or the partner's): the viewer then learns only that it is in use, not
   * that line's id and name. `viewer` null: the deployment admin, who sees every line.
   */
  async function withLines(numbers: Array<IncomingNumber & { assignedSiteId: number | null }>, viewer: Tenant | null): Promise<PhoneNumberView[]> {
    if (numbers.length === 0) return [];
    const lines = await db
      .selectFrom('phone_lines')
      .innerJoin('tenants', 'tenants.id', 'phone_lines.tenant_id')
      .select(['phone_lines.id', 'phone_lines.name', 'phone_lines.phone_number', 'tenants.path'])
      .where('phone_lines.phone_number', 'in', numbers.map((n) => n.phoneNumber))
      .execute();
    const byNumber = new Map(lines.map((l) => [l.phone_number, l]));
    return numbers.map((n) => {
      const line = byNumber.get(n.phoneNumber);
      const shown = line && (viewer === null || line.path.startsWith(viewer.path)) ? line : undefined;
      return { ...n, lineId: shown ? Number(shown.id) : null, lineName: shown?.name ?? null, inUse: Boolean(line) };
    });
  }

  /** GET /voiceconfig/phonenumbers: an admin without siteId sees the deployment's whole account. */
  async function list(caller: Caller, siteRef: number | undefined): Promise<PhoneNumberView[]> {
    requireCapability(caller, 'voice.numbers.read');
    if (caller.role === 'admin' && siteRef === undefined) {
      const account = accounts.required(accounts.deployment, 'set TWILIO_ACCOUNT_SID and its credentials');
      const assigned = await db.selectFrom('voice_number_assignments').select(['phone_number', 'tenant_id']).execute();
      const to = new Map(assigned.map((a) => [a.phone_number, Number(a.tenant_id)]));
      return withLines((await twilioNumbers(account)).map((n) => ({ ...n, assignedSiteId: to.get(n.phoneNumber) ?? null })), null);
    }
    const tenant = await accounts.tenantOf(caller, siteRef);
    return withLines(await numbersOf(tenant), tenant);
  }

  /** Refuses a number the tenant may not put on a line. */
  async function assertUsable(tenant: Tenant, phoneNumber: string): Promise<void> {
    if (!isE164(phoneNumber)) throw invalid('phoneNumber', 'must be an E.164 number such as +14155550100');
    const has = (list: IncomingNumber[]) => list.some((n) => n.phoneNumber === phoneNumber);
    if (!has(await numbersOf(tenant)) && !has(await numbersOf(tenant, true))) throw invalid('phoneNumber', "is not one of this site's Twilio numbers");
  }

  /** An admin gives one of the deployment's numbers to a site (or takes it back with null). */
  async function assign(caller: Caller, phoneNumber: string, siteRef: number | null): Promise<{ phoneNumber: string; siteId: number | null }> {
    requireCapability(caller, 'voice.numbers.assign');
    const account = accounts.required(accounts.deployment, 'set TWILIO_ACCOUNT_SID and its credentials');
    const has = (list: IncomingNumber[]) => list.some((n) => n.phoneNumber === phoneNumber);
    if (!has(await twilioNumbers(account)) && !has(await twilioNumbers(account, true))) throw notFound("number in the deployment's Twilio account");
    const tenant = siteRef === null ? null : await tenants.get(caller, siteRef);
    const line = await db.selectFrom('phone_lines').select(['tenant_id']).where('phone_number', '=', phoneNumber).executeTakeFirst();
    if (line && Number(line.tenant_id) !== tenant?.id) throw conflict('a phone line of another site uses this number; delete the line first', 'phoneNumber');
    if (tenant === null) {
      await db.deleteFrom('voice_number_assignments').where('phone_number', '=', phoneNumber).execute();
      return { phoneNumber, siteId: null };
    }
    await db
      .insertInto('voice_number_assignments')
      .values({ phone_number: phoneNumber, tenant_id: tenant.id, created_at: now() })
      .onConflict((oc) => oc.column('phone_number').doUpdateSet({ tenant_id: tenant.id, created_at: now() }))
      .execute();
    return { phoneNumber, siteId: tenant.id };
  }

  return { list, assertUsable, assign };
}
