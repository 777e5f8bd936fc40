/** Session detail records (one per send, with its events) and usage counts, scoped like limits. */
import { sql } from 'kysely';
import type { Caller } from '../callers.js';
import { requireCapability } from '../roles.js';
import type { CoreDeps } from '../context.js';
import { GatehouseError } from '../errors.js';
import type { Limits } from '../limits/limits.js';
import { VerificationErrors } from './errors.js';
import { attemptReport } from '../growth/attempts.js';
import type { UsageScope } from '../growth/report-days.js';
import { usageReport } from '../growth/usage.js';

/** A usage report's range and whose sends it counts (reportScope). */
interface ReportQuery {
  startTime: number;
  endTime: number;
  accountSid?: string;
  subAccounts?: boolean;
  everyTenant?: boolean;
}

export interface SdrSearch {
  page: number;
  pageSize: number;
  to?: string;
  channel?: string;
  status?: string;
  service?: string;
  accountSid?: string;
  subAccounts?: boolean;
  /** Without accountSid: every tenant in the caller's reach (an admin's reaches beyond its own tree), not only its own. */
  everyTenant?: boolean;
  startTime?: number;
  endTime?: number;
  sortBy: 'dateCreated' | 'to' | 'status';
  direction: 'asc' | 'desc';
}

export interface Sdr {
  requestId: string;
  accountSid: string;
  service: string;
  channel: string;
  to: string;
  status: string;
  attempts: number;
  deliveryStatus: string;
  provider: string | null;
  providerId: string | null;
  deliveryError: string | null;
  expiresAt: number;
  createdAt: number;
  updatedAt: number;
}

/** A pending code past its timeout is reported as expired, whether or not anyone tried it since. */
const DAY_MS = 86_400_000;
const effectiveStatus = (now: number) => sql<string>`case when v.status = 'pending' and v.expires_at <= ${sql.lit(now)} then 'expired' else v.status end`;

export function createRecords({ db }: CoreDeps, limits: Limits) {
  const view = () =>
    db
      .selectFrom('verifications as v')
      .innerJoin('tenants as t', 't.id', 'v.tenant_id')
      .select([
        'v.request_id', 't.sid as account_sid', 'v.service', 'v.channel', 'v.to', 'v.attempts', 'v.delivery_status',
        'v.provider', 'v.provider_id', 'v.delivery_error', 'v.expires_at', 'v.created_at', 'v.updated_at',
        effectiveStatus(Date.now()).as('status'),
      ]);
  type Row = Awaited<ReturnType<ReturnType<typeof view>['executeTakeFirstOrThrow']>>;
  const toSdr = (r: Row): Sdr => ({
    requestId: r.request_id,
    accountSid: r.account_sid,
    service: r.service,
    channel: r.channel,
    to: r.to,
    status: r.status,
    attempts: Number(r.attempts),
    deliveryStatus: r.delivery_status,
    provider: r.provider,
    providerId: r.provider_id,
    deliveryError: r.delivery_error,
    expiresAt: Number(r.expires_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  });

  async function scoped(caller: Caller, accountSid: string | undefined, subAccounts: boolean | undefined, everyTenant = false) {
    requireCapability(caller, 'records.read');
    if (everyTenant && !accountSid) return { scope: null, filter: caller.role === 'admin' ? sql<boolean>`1 = 1` : sql<boolean>`t.path like ${caller.tenantPath + '%'}` };
    const scope = await limits.target(caller, accountSid);
    return { scope, filter: subAccounts ? sql<boolean>`t.path like ${scope.path + '%'}` : sql<boolean>`v.tenant_id = ${scope.id}` };
  }

  async function search(caller: Caller, query: SdrSearch): Promise<{ rows: Sdr[]; total: number }> {
    const { filter } = await scoped(caller, query.accountSid, query.subAccounts, query.everyTenant);
    let q = view().where(filter);
    if (query.to) q = q.where('v.to', '=', query.to);
    if (query.channel) q = q.where('v.channel', '=', query.channel);
    if (query.status) q = q.where(effectiveStatus(Date.now()), '=', query.status);
    if (query.service) q = q.where('v.service', '=', query.service);
    if (query.startTime !== undefined) q = q.where('v.created_at', '>=', query.startTime);
    if (query.endTime !== undefined) q = q.where('v.created_at', '<=', query.endTime);
    const total = await q.clearSelect().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const column = query.sortBy === 'to' ? 'v.to' : query.sortBy === 'status' ? 'status' : 'v.created_at';
    const rows = await q.orderBy(column, query.direction).orderBy('v.id', query.direction).limit(query.pageSize).offset(query.page * query.pageSize).execute();
    return { rows: rows.map(toSdr), total: Number(total.n) };
  }

  async function get(caller: Caller, requestId: string, accountSid?: string, subAccounts = true, everyTenant = false) {
    const { filter } = await scoped(caller, accountSid, subAccounts, everyTenant);
    const row = /^OTP[0-9a-f]{32}$/.test(requestId) ? await view().where(filter).where('v.request_id', '=', requestId).executeTakeFirst() : undefined;
    if (!row) throw new GatehouseError(VerificationErrors.unknownRequest, 'Invalid OTP Unique Id');
    const events = await db
      .selectFrom('verification_events')
      .select(['type', 'detail', 'created_at'])
      .where('request_id', '=', requestId)
      .orderBy('id')
      .execute();
    // Every try of every channel (a fallback adds the next channel's), oldest first.
    const tries = await db
      .selectFrom('delivery_attempts')
      .select(['channel', 'provider', 'provider_id', 'status', 'error', 'created_at'])
      .where('request_id', '=', requestId)
      .orderBy('id')
      .execute();
    // A code delivered to the development outbox is delivered in the send itself: its one attempt is the request's own.
    const deliveryAttempts =
      tries.length > 0
        ? tries.map((t) => ({ channel: t.channel, provider: t.provider, providerId: t.provider_id, status: t.status, error: t.error, time: Number(t.created_at) }))
        : row.provider === 'outbox'
          ? [{ channel: row.channel, provider: 'outbox', providerId: row.provider_id, status: 'delivered', error: null, time: Number(row.created_at) }]
          : [];
    return { ...toSdr(row), events: events.map((e) => ({ type: e.type, detail: e.detail, time: Number(e.created_at) })), deliveryAttempts };
  }

  /** Whose sends a report counts: the tenant named, with its sub-accounts or not, or every tenant in reach. */
  async function reportScope(caller: Caller, query: ReportQuery): Promise<UsageScope> {
    const { scope } = await scoped(caller, query.accountSid, query.subAccounts, query.everyTenant);
    // Every tenant in reach (the console's default): the caller's whole tree, or every tenant for an admin.
    if (scope === null) return { pathPrefix: caller.role === 'admin' ? '' : caller.tenantPath };
    return query.subAccounts ? { pathPrefix: scope.path } : { tenantId: scope.id };
  }

  /** Sends counted by channel, status and UTC day over [startTime, endTime], from the roll-ups (core/growth/usage.ts). */
  async function usage(caller: Caller, query: ReportQuery) {
    return usageReport(db, await reportScope(caller, query), query.startTime, query.endTime, Date.now());
  }

  /**
   * Delivery tries counted by channel and UTC day over [startTime, endTime] (of the sends made then):
   * a send that fell back counts once in usage (by its first channel) and once here per try of each
   * channel. A code delivered to the development outbox is one try.
   */
  async function attemptUsage(caller: Caller, query: Omit<ReportQuery, 'everyTenant'>) {
    // From the roll-up (core/growth/attempts.ts): the same after delivery_attempts are pruned.
    return attemptReport(db, await reportScope(caller, query), query.startTime, query.endTime);
  }

  return { search, get, usage, attemptUsage };
}
