/** Session detail records (one per send, with its events) and usage counts, scoped like limits. */
import { sql } from 'kysely';
import type { Caller } from '../callers.js';
import { requireCapability } from '../roles.js';
import type { CoreDeps } from '../context.js';
import { GatehouseError } from '../errors.js';
import type { Limits } from '../limits/limits.js';
import { VerificationErrors } from './errors.js';
import { usageReport } from '../growth/usage.js';

export interface SdrSearch {
  page: number;
  pageSize: number;
  to?: string;
  channel?: string;
  status?: string;
  service?: string;
  accountSid?: string;
  subAccounts?: boolean;
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

  async function scoped(caller: Caller, accountSid: string | undefined, subAccounts: boolean | undefined) {
    requireCapability(caller, 'records.read');
    const scope = await limits.target(caller, accountSid);
    return { scope, filter: subAccounts ? sql<boolean>`t.path like ${scope.path + '%'}` : sql<boolean>`v.tenant_id = ${scope.id}` };
  }

  async function search(caller: Caller, query: SdrSearch): Promise<{ rows: Sdr[]; total: number }> {
    const { filter } = await scoped(caller, query.accountSid, query.subAccounts);
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

  async function get(caller: Caller, requestId: string, accountSid?: string, subAccounts = true) {
    const { filter } = await scoped(caller, accountSid, subAccounts);
    const row = /^OTP[0-9a-f]{32}$/.test(requestId) ? await view().where(filter).where('v.request_id', '=', requestId).executeTakeFirst() : undefined;
    if (!row) throw new GatehouseError(VerificationErrors.unknownRequest, 'Invalid OTP Unique Id');
    const events = await db
      .selectFrom('verification_events')
      .select(['type', 'detail', 'created_at'])
      .where('request_id', '=', requestId)
      .orderBy('id')
      .execute();
    return { ...toSdr(row), events: events.map((e) => ({ type: e.type, detail: e.detail, time: Number(e.created_at) })) };
  }

  /** Sends counted by channel, status and UTC day over [startTime, endTime], from the roll-ups (core/growth/usage.ts). */
  async function usage(caller: Caller, query: { startTime: number; endTime: number; accountSid?: string; subAccounts?: boolean }) {
    const { scope } = await scoped(caller, query.accountSid, query.subAccounts);
    return usageReport(db, query.subAccounts ? { pathPrefix: scope.path } : { tenantId: scope.id }, query.startTime, query.endTime, Date.now());
  }

  return { search, get, usage };
}
