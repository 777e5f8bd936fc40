/**
 * Call records: one row per call (keyed by Twilio's Call SID) and one event per status it reported.
 * Twilio may repeat a callback or deliver them out of order, so every write is order-free: a record
 * is created by whichever event comes first, its status only ever moves forward (queued → ringing →
 * in-progress → ended), times keep the earliest instant seen, and an event already seen adds nothing.
 */
import { type Selectable, sql } from 'kysely';
import { type Caller, reaches } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { now } from '../crypto.js';
import { invalid, notFound } from '../errors.js';
import type { Tenant } from '../tenants/tenants.js';
import { requireCapability } from '../roles.js';
import { accountOfClient } from './access-token.js';
import type { RoutedLine, Routing } from './routing.js';
import type { CallRecordTable } from './tables.js';
import type { TwilioAccount, TwilioAccounts } from './twilio-accounts.js';

/** How far each status gets a call; 'refused' is Gatehouse's own, for an agent's call it did not place. */
const RANKS = {
  queued: 0,
  initiated: 0,
  ringing: 1,
  'in-progress': 2,
  completed: 3,
  busy: 3,
  'no-answer': 3,
  failed: 3,
  canceled: 3,
  refused: 3,
} as const;
export const CALL_STATUSES = Object.keys(RANKS);
const STATUS_RANK = new Map<string, number>(Object.entries(RANKS));

const CALL_SID = /^CA[0-9a-f]{32}$/;

export interface CallRecord {
  callSid: string;
  siteId: number;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  lineId: number | null;
  lineName: string | null;
  agentId: number | null;
  status: string;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  duration: number | null;
  price: string | null;
  priceUnit: string | null;
  errorCode: string | null;
  errorUrl: string | null;
  recordingUrl: string | null;
  createdAt: number;
  updatedAt: number;
}

const toRecord = (r: Selectable<CallRecordTable>): CallRecord => ({
  callSid: r.call_sid,
  siteId: Number(r.tenant_id),
  direction: r.direction === 'outbound' ? 'outbound' : 'inbound',
  from: r.from,
  to: r.to,
  lineId: r.line_id === null ? null : Number(r.line_id),
  lineName: r.line_name,
  agentId: r.agent_id === null ? null : Number(r.agent_id),
  status: r.status,
  startedAt: Number(r.started_at),
  answeredAt: r.answered_at === null ? null : Number(r.answered_at),
  endedAt: r.ended_at === null ? null : Number(r.ended_at),
  duration: r.duration === null ? null : Number(r.duration),
  price: r.price,
  priceUnit: r.price_unit,
  errorCode: r.error_code,
  errorUrl: r.error_url,
  recordingUrl: r.recording_url,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export interface NewCall {
  callSid: string;
  tenantId: number;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  line: { id: number; name: string } | null;
  agentId: number | null;
  status: string;
  at: number;
}

export interface CallFilters {
  siteId?: number;
  subAccounts?: boolean;
  lineId?: number;
  agentId?: number;
  status?: string;
  direction?: 'inbound' | 'outbound';
  startTime?: number;
  endTime?: number;
  page: number;
  pageSize: number;
  order: 'asc' | 'desc';
}

const text = (value: string | undefined, max: number) => (value ? value.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, max) : null);

/** Twilio's Timestamp (RFC 2822) as epoch ms, or now when absent or unreadable. */
function eventTime(form: Record<string, string>): number {
  const ms = form.Timestamp ? Date.parse(form.Timestamp) : NaN;
  return Number.isFinite(ms) ? ms : now();
}

export type CallRecords = ReturnType<typeof createCallRecords>;

export function createCallRecords({ db }: CoreDeps, deps: { routing: Routing; accounts: TwilioAccounts }) {
  const { routing, accounts } = deps;

  /** Creates the record unless the call already has one (any event may come first). */
  async function open(call: NewCall): Promise<void> {
    const t = now();
    await db
      .insertInto('call_records')
      .values({
        call_sid: call.callSid,
        tenant_id: call.tenantId,
        direction: call.direction,
        from: call.from.slice(0, 140),
        to: call.to.slice(0, 140),
        line_id: call.line?.id ?? null,
        line_name: call.line?.name ?? null,
        agent_id: call.agentId,
        status: call.status,
        status_rank: STATUS_RANK.get(call.status) ?? 0,
        started_at: call.at,
        created_at: t,
        updated_at: t,
      })
      .onConflict((oc) => oc.column('call_sid').doNothing())
      .execute();
  }

  /** A line's call may be recorded only when the webhook came from the account serving the line's site. */
  const servedBy = (line: RoutedLine, account: TwilioAccount) => (line.ownAccountSid ?? accounts.deployment?.accountSid) === account.accountSid;

  /** The tenant of a call this deployment has no record of yet: the line called, or the calling agent's site. */
  async function newCall(form: Record<string, string>, account: TwilioAccount, status: string, at: number): Promise<NewCall | null> {
    const agentId = accountOfClient(form.From);
    if (agentId !== null) {
      // An agent's call is opened by the voice webhook; this is only its status arriving first.
      const agent = await routing.agent(agentId);
      if (!agent || (await accounts.sidForTenant({ path: agent.tenantPath })) !== account.accountSid) return null;
      const line = agent.lines.find((l) => l.phoneNumber === form.CallerId) ?? null;
      return { callSid: form.CallSid!, tenantId: line?.tenantId ?? agent.tenantId, direction: 'outbound', from: form.CallerId ?? form.From!, to: form.To ?? '', line, agentId, status, at };
    }
    const line = await routing.lineByNumber(form.To ?? '');
    if (!line || !servedBy(line, account)) return null;
    return { callSid: form.CallSid!, tenantId: line.tenantId, direction: 'inbound', from: form.From ?? '', to: form.To ?? '', line, agentId: null, status, at };
  }

  /** The record of a call, only if it belongs to a site the webhook's account serves. */
  async function recordFor(callSid: string, account: TwilioAccount) {
    const row = await db
      .selectFrom('call_records')
      .innerJoin('tenants', 'tenants.id', 'call_records.tenant_id')
      .select(['call_records.tenant_id', 'tenants.path'])
      .where('call_sid', '=', callSid)
      .executeTakeFirst();
    if (!row || (await accounts.sidForTenant({ path: row.path })) !== account.accountSid) return null;
    return { tenantId: Number(row.tenant_id) };
  }

  /** POST /voicetwilio/statuscallback, already signed by `account`. Unknown calls and forms are ignored. */
  async function applyStatus(form: Record<string, string>, account: TwilioAccount): Promise<void> {
    const callSid = form.CallSid ?? '';
    const status = (form.CallStatus ?? '').toLowerCase();
    const rank = STATUS_RANK.get(status);
    if (!CALL_SID.test(callSid) || rank === undefined || status === 'refused') return;
    const at = eventTime(form);

    // An agent's leg of an incoming call: who answered goes on the parent's record.
    if (form.ParentCallSid) {
      const agentId = accountOfClient(form.To);
      if (status !== 'in-progress' || agentId === null || !CALL_SID.test(form.ParentCallSid)) return;
      if (!(await recordFor(form.ParentCallSid, account))) return;
      await db
        .updateTable('call_records')
        .set({ agent_id: agentId, updated_at: now() })
        .where('call_sid', '=', form.ParentCallSid)
        .where('agent_id', 'is', null)
        .where('line_id', 'in', (eb) => eb.selectFrom('phone_line_agents').select('line_id').where('account_id', '=', agentId))
        .execute();
      return;
    }

    let record = await recordFor(callSid, account);
    if (!record) {
      const call = await newCall(form, account, status, at);
      if (!call) return;
      await open(call);
      record = await recordFor(callSid, account);
      if (!record) return;
    }
    const duration = /^\d{1,7}$/.test(form.CallDuration ?? '') ? Number(form.CallDuration) : null;
    const price = /^-?\d{1,8}(\.\d{1,8})?$/.test(form.Price ?? '') ? form.Price! : null;
    const priceUnit = /^[A-Z]{3}$/.test(form.PriceUnit ?? '') ? form.PriceUnit! : null;
    await db
      .updateTable('call_records')
      .set({
        status: sql`case when ${rank} > status_rank then ${status} else status end`,
        status_rank: sql`case when ${rank} > status_rank then ${rank} else status_rank end`,
        started_at: sql`case when ${at} < started_at then ${at} else started_at end`,
        ...(status === 'in-progress' && { answered_at: sql`case when answered_at is null or ${at} < answered_at then ${at} else answered_at end` }),
        ...(rank === 3 && { ended_at: sql`coalesce(ended_at, ${at})` }),
        ...(duration !== null && { duration }),
        ...(price !== null && { price }),
        ...(priceUnit !== null && { price_unit: priceUnit }),
        updated_at: now(),
      })
      .where('call_sid', '=', callSid)
      .execute();
    await db
      .insertInto('call_events')
      .values({ call_sid: callSid, tenant_id: record.tenantId, status, created_at: at })
      .onConflict((oc) => oc.columns(['call_sid', 'status']).doNothing())
      .execute();
  }

  /** Twilio's fallback request: the error it met on the voice URL, kept on the call's record. */
  async function applyFallback(form: Record<string, string>, account: TwilioAccount): Promise<void> {
    const callSid = form.CallSid ?? '';
    if (!CALL_SID.test(callSid)) return;
    if (!(await recordFor(callSid, account))) {
      const reported = (form.CallStatus ?? '').toLowerCase();
      const call = await newCall(form, account, STATUS_RANK.has(reported) && reported !== 'refused' ? reported : 'ringing', eventTime(form));
      if (!call) return;
      await open(call);
    }
    await db
      .updateTable('call_records')
      .set({ error_code: /^\d{1,6}$/.test(form.ErrorCode ?? '') ? form.ErrorCode! : null, error_url: text(form.ErrorUrl, 500), updated_at: now() })
      .where('call_sid', '=', callSid)
      .execute();
  }

  /** A voicemail's recording, kept on the record of the call it was left on. */
  async function applyRecording(form: Record<string, string>, account: TwilioAccount): Promise<void> {
    const callSid = form.CallSid ?? '';
    const url = form.RecordingUrl ?? '';
    if (!CALL_SID.test(callSid) || !/^https:\/\/[^\s"<>]{1,490}$/.test(url)) return;
    if (!(await recordFor(callSid, account))) {
      const call = await newCall(form, account, 'in-progress', eventTime(form));
      if (!call) return;
      await open(call);
    }
    await db.updateTable('call_records').set({ recording_url: url, updated_at: now() }).where('call_sid', '=', callSid).execute();
  }

  async function scope(caller: Caller, siteId: number | undefined): Promise<Tenant> {
    requireCapability(caller, 'voice.records.read');
    return accounts.tenantOf(caller, siteId);
  }

  async function list(caller: Caller, filters: CallFilters): Promise<{ rows: CallRecord[]; total: number }> {
    const tenant = await scope(caller, filters.siteId);
    if (filters.status !== undefined && !CALL_STATUSES.includes(filters.status)) throw invalid('status', `must be one of ${CALL_STATUSES.join(', ')}`);
    let query = db.selectFrom('call_records').innerJoin('tenants', 'tenants.id', 'call_records.tenant_id');
    query = filters.subAccounts ? query.where('tenants.path', 'like', `${tenant.path}%`) : query.where('call_records.tenant_id', '=', tenant.id);
    if (filters.lineId !== undefined) query = query.where('call_records.line_id', '=', filters.lineId);
    if (filters.agentId !== undefined) query = query.where('call_records.agent_id', '=', filters.agentId);
    if (filters.status !== undefined) query = query.where('call_records.status', '=', filters.status);
    if (filters.direction !== undefined) query = query.where('call_records.direction', '=', filters.direction);
    if (filters.startTime !== undefined) query = query.where('call_records.started_at', '>=', filters.startTime);
    if (filters.endTime !== undefined) query = query.where('call_records.started_at', '<=', filters.endTime);
    const counted = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    const rows = await query
      .selectAll('call_records')
      .orderBy('call_records.started_at', filters.order)
      .orderBy('call_records.id', filters.order)
      .limit(filters.pageSize)
      .offset(filters.page * filters.pageSize)
      .execute();
    return { rows: rows.map(toRecord), total: Number(counted?.n ?? 0) };
  }

  async function get(caller: Caller, callSid: string): Promise<CallRecord & { events: Array<{ status: string; at: number }> }> {
    requireCapability(caller, 'voice.records.read');
    const row = await db
      .selectFrom('call_records')
      .innerJoin('tenants', 'tenants.id', 'call_records.tenant_id')
      .selectAll('call_records')
      .select('tenants.path')
      .where('call_sid', '=', callSid)
      .executeTakeFirst();
    // Another tenant's call does not exist for the caller.
    if (!row || !reaches(caller, row.path)) throw notFound('call record');
    const events = await db.selectFrom('call_events').select(['status', 'created_at']).where('call_sid', '=', callSid).orderBy('created_at').orderBy('id').execute();
    return { ...toRecord(row), events: events.map((e) => ({ status: e.status, at: Number(e.created_at) })) };
  }

  return { open, applyStatus, applyFallback, applyRecording, list, get };
}
