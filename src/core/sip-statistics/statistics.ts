/**
 * Statistics the SIP server reports: messages (sent, then delivered per recipient device) and calls
 * (initiated, rung and answered or not per device, ended). Ids come from the SIP server and are unique
 * in the deployment: a repeated one is refused. Each record belongs to the tenant that owns its
 * sender's domain when the caller reaches it, else to the caller's tenant; admins read the figures
 * compiled per domain and day.
 */
import { sql } from 'kysely';
import { type Caller, reaches } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { now } from '../crypto.js';
import { GatehouseError, invalid, notFound } from '../errors.js';
import { createAccess } from '../flexisip/access.js';
import { isUniqueViolation } from '../../storage/errors.js';
import { DAY_MS, dayOf, parseDay, parseIso8601 } from '../iso8601.js';
import type { Db } from '../../storage/database.js';

/** Answered 400 by the Flexisip face, as the upstream API answers database refusals. */
export const StatisticsErrors = {
  duplicate: 'statistics_duplicate',
  unknownRecord: 'statistics_unknown_record',
} as const;

const duplicate = (what: string) => new GatehouseError(StatisticsErrors.duplicate, `this ${what} id is already recorded`);
const unknownRecord = (what: string) => new GatehouseError(StatisticsErrors.unknownRecord, `no ${what} with this id`);

const requiredString = (field: string, value: unknown, max: number): string => {
  if (value === undefined || value === null || value === '') throw invalid(field, `The ${field} field is required.`);
  if (typeof value !== 'string') throw invalid(field, `The ${field} must be a string.`);
  if (value.length > max) throw invalid(field, `The ${field} must not be greater than ${max} characters.`);
  return value;
};

const optionalString = (field: string, value: unknown, max: number): string | null =>
  value === undefined || value === null ? null : requiredString(field, value, max);

const requiredTime = (field: string, value: unknown): number => {
  if (value === undefined || value === null || value === '') throw invalid(field, `The ${field} field is required.`);
  const t = parseIso8601(value);
  if (t === null) throw invalid(field, `The ${field} must be a valid ISO 8601 date.`);
  return t;
};

const optionalTime = (field: string, value: unknown): number | null =>
  value === undefined || value === null ? null : requiredTime(field, value);

/** `user@domain` (a `sip:` prefix is tolerated), split as the upstream project splits it. */
function address(field: string, value: unknown): { username: string; domain: string } {
  const text = requiredString(field, value, 256).replace(/^sips?:/, '');
  const at = text.indexOf('@');
  if (at < 1 || at === text.length - 1) throw invalid(field, `The ${field} must be a SIP address such as user@domain.`);
  return { username: text.slice(0, at), domain: text.slice(at + 1).toLowerCase() };
}

export interface MessageInput { id?: unknown; from?: unknown; sent_at?: unknown; encrypted?: unknown; conference_id?: unknown }
export interface MessageDeviceInput { last_status?: unknown; received_at?: unknown }
export interface CallInput { id?: unknown; from?: unknown; to?: unknown; initiated_at?: unknown; ended_at?: unknown; conference_id?: unknown }
export interface CallDeviceInput { rang_at?: unknown; invite_terminated?: unknown; at?: unknown; state?: unknown }

export interface DailyFigures {
  date: string;
  domain: string;
  messages: { sent: number; received: number; encrypted: number };
  calls: { total: number; answered: number; duration: number };
}

export type SipStatistics = ReturnType<typeof createSipStatistics>;

export function createSipStatistics(deps: CoreDeps) {
  const { db } = deps;
  const access = createAccess(deps);
  /** Every statistics function is for Admins only (forbidden otherwise). */
  const assertAdmin = async (caller: Caller) => void (await access.adminScope(caller));

  /** The tenant a record belongs to, and the sender's account when it is one of ours. */
  async function owner(caller: Caller, from: { username: string; domain: string }) {
    const domain = await db
      .selectFrom('sip_domains')
      .innerJoin('tenants', 'tenants.id', 'sip_domains.tenant_id')
      .select(['tenants.id', 'tenants.path'])
      .where('sip_domains.domain', '=', from.domain)
      .executeTakeFirst();
    const tenantId = domain && reaches(caller, domain.path) ? Number(domain.id) : caller.tenantId;
    const account = await db
      .selectFrom('accounts')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('username', '=', from.username)
      .where('domain', '=', from.domain)
      .executeTakeFirst();
    return { tenantId, accountId: account ? Number(account.id) : null };
  }

  /**
   * Whether the caller may add to a record: one of a tenant it reaches, and for a Flexisip admin (who
   * is confined to its own domain) one whose sender, or recipient (`recipientDomain`, or a call's
   * callee), is on its domain.
   */
  async function reachable(caller: Caller, table: 'sip_statistics_messages' | 'sip_statistics_calls', id: string, recipientDomain?: string): Promise<boolean> {
    const row = await db
      .selectFrom(table)
      .innerJoin('tenants', 'tenants.id', `${table}.tenant_id`)
      .select(['tenants.path', `${table}.from_domain`])
      .where(`${table}.id`, '=', id)
      .executeTakeFirst();
    if (row === undefined || !reaches(caller, row.path)) return false;
    if (caller.role !== 'sipadmin') return true;
    const domains = [row.from_domain, recipientDomain];
    if (table === 'sip_statistics_calls') domains.push((await db.selectFrom('sip_statistics_calls').select('to_domain').where('id', '=', id).executeTakeFirst())?.to_domain);
    const scope = await access.adminScope(caller);
    return domains.some((d) => d !== undefined && access.inScope(scope, d));
  }

  async function recordMessage(caller: Caller, input: MessageInput): Promise<void> {
    await assertAdmin(caller);
    const id = requiredString('id', input.id, 64);
    const from = address('from', input.from);
    const sentAt = requiredTime('sent_at', input.sent_at);
    if (typeof input.encrypted !== 'boolean') throw invalid('encrypted', input.encrypted === undefined ? 'The encrypted field is required.' : 'The encrypted field must be true or false.');
    const conferenceId = optionalString('conference_id', input.conference_id, 256);
    const { tenantId, accountId } = await owner(caller, from);
    try {
      await db
        .insertInto('sip_statistics_messages')
        .values({
          id, tenant_id: tenantId, from_username: from.username, from_domain: from.domain, from_account_id: accountId,
          sent_at: sentAt, encrypted: input.encrypted ? 1 : 0, conference_id: conferenceId, created_at: now(),
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate('message');
      throw err;
    }
  }

  /** Records or updates one device's delivery; true when it was new. */
  async function recordMessageDevice(caller: Caller, messageId: string, to: string, deviceId: string, input: MessageDeviceInput): Promise<boolean> {
    await assertAdmin(caller);
    const recipient = address('to', to);
    const device = requiredString('device_id', deviceId, 64);
    if (!Number.isInteger(input.last_status)) throw invalid('last_status', input.last_status === undefined ? 'The last status field is required.' : 'The last status must be an integer.');
    const receivedAt = requiredTime('received_at', input.received_at);
    if (!(await reachable(caller, 'sip_statistics_messages', messageId, recipient.domain))) throw unknownRecord('message');
    const key = { message_id: messageId, to_username: recipient.username, to_domain: recipient.domain, device_id: device };
    const values = { last_status: input.last_status as number, received_at: receivedAt, updated_at: now() };
    return upsert(
      () => db.insertInto('sip_statistics_message_devices').values({ ...key, ...values }).execute(),
      () =>
        db.updateTable('sip_statistics_message_devices').set(values)
          .where('message_id', '=', key.message_id).where('to_username', '=', key.to_username)
          .where('to_domain', '=', key.to_domain).where('device_id', '=', key.device_id).execute(),
    );
  }

  /** Insert, or update when the row exists (a race between two inserts ends in an update). */
  async function upsert(insert: () => Promise<unknown>, update: () => Promise<{ numUpdatedRows: bigint }[]>): Promise<boolean> {
    const [updated] = await update();
    if (updated && updated.numUpdatedRows > 0n) return false;
    try {
      await insert();
      return true;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await update();
      return false;
    }
  }

  async function recordCall(caller: Caller, input: CallInput): Promise<void> {
    await assertAdmin(caller);
    const id = requiredString('id', input.id, 64);
    const from = address('from', input.from);
    const to = address('to', input.to);
    const initiatedAt = requiredTime('initiated_at', input.initiated_at);
    const endedAt = optionalTime('ended_at', input.ended_at);
    const conferenceId = optionalString('conference_id', input.conference_id, 256);
    const { tenantId, accountId } = await owner(caller, from);
    const t = now();
    try {
      await db
        .insertInto('sip_statistics_calls')
        .values({
          id, tenant_id: tenantId, from_username: from.username, from_domain: from.domain, from_account_id: accountId,
          to_username: to.username, to_domain: to.domain, initiated_at: initiatedAt, ended_at: endedAt,
          conference_id: conferenceId, created_at: t, updated_at: t,
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate('call');
      throw err;
    }
  }

  async function recordCallDevice(caller: Caller, callId: string, deviceId: string, input: CallDeviceInput): Promise<boolean> {
    await assertAdmin(caller);
    const device = requiredString('device_id', deviceId, 64);
    const rangAt = optionalTime('rang_at', input.rang_at);
    let terminatedAt: number | null = null;
    let terminatedState: string | null = null;
    // The page lists `at` and `state` as flat parameters beside `invite_terminated`; the nested form is upstream's.
    const flat = input.at !== undefined || input.state !== undefined;
    const nested = input.invite_terminated !== undefined && input.invite_terminated !== null && typeof input.invite_terminated === 'object';
    if (flat && nested) throw invalid('invite_terminated', 'Send at and state either inside invite_terminated or beside it, not both.');
    if (flat) {
      if (input.state !== undefined && input.at === undefined) throw invalid('at', 'The at field is required when state is present.');
      if (input.at !== undefined && input.state === undefined) throw invalid('state', 'The state field is required when at is present.');
      terminatedAt = optionalTime('at', input.at);
      terminatedState = optionalString('state', input.state, 64);
    } else if (input.invite_terminated !== undefined && input.invite_terminated !== null) {
      const it = input.invite_terminated as { at?: unknown; state?: unknown };
      if (typeof it !== 'object' || Array.isArray(it)) throw invalid('invite_terminated', 'The invite terminated must be an object with at and state.');
      if (it.state !== undefined && it.at === undefined) throw invalid('invite_terminated.at', 'The invite terminated.at field is required when invite terminated.state is present.');
      if (it.at !== undefined && it.state === undefined) throw invalid('invite_terminated.state', 'The invite terminated.state field is required when invite terminated.at is present.');
      terminatedAt = optionalTime('invite_terminated.at', it.at);
      terminatedState = optionalString('invite_terminated.state', it.state, 64);
    }
    if (!(await reachable(caller, 'sip_statistics_calls', callId))) throw unknownRecord('call');
    const values = { rang_at: rangAt, invite_terminated_at: terminatedAt, invite_terminated_state: terminatedState, updated_at: now() };
    return upsert(
      () => db.insertInto('sip_statistics_call_devices').values({ call_id: callId, device_id: device, ...values }).execute(),
      () => db.updateTable('sip_statistics_call_devices').set(values).where('call_id', '=', callId).where('device_id', '=', device).execute(),
    );
  }

  async function endCall(caller: Caller, callId: string, input: { ended_at?: unknown }) {
    await assertAdmin(caller);
    const endedAt = requiredTime('ended_at', input.ended_at);
    if (!(await reachable(caller, 'sip_statistics_calls', callId))) throw notFound('call');
    await db.updateTable('sip_statistics_calls').set({ ended_at: endedAt, updated_at: now() }).where('id', '=', callId).execute();
    return db.selectFrom('sip_statistics_calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
  }

  /**
   * Figures per domain and UTC day, for the tenants the caller reaches: messages sent (by the sender's
   * domain and day sent), encrypted among them, received (recipients with a 2xx delivery on some
   * device, by the recipient's domain and day of the first one); calls initiated, answered (some device
   * accepted), and the seconds from answer to end of the answered calls that ended.
   */
  async function compiled(caller: Caller, query: { from?: unknown; to?: unknown; domain?: unknown }): Promise<DailyFigures[]> {
    await assertAdmin(caller);
    const today = Math.floor(now() / DAY_MS) * DAY_MS;
    const from = query.from === undefined ? today - 29 * DAY_MS : parseDay(query.from);
    if (from === null) throw invalid('from', 'The from must be a date such as 2024-03-27.');
    const to = query.to === undefined ? today : parseDay(query.to);
    if (to === null) throw invalid('to', 'The to must be a date such as 2024-03-27.');
    if (to < from) throw invalid('to', 'The to must be a date after or equal to from.');
    if (to - from > 366 * DAY_MS) throw invalid('to', 'The range must not exceed 366 days.');
    const domain = query.domain === undefined ? null : typeof query.domain === 'string' ? query.domain.toLowerCase() : null;
    if (query.domain !== undefined && !domain) throw invalid('domain', 'The domain must be a domain name.');
    const end = to + DAY_MS;
    const prefix = caller.role === 'admin' ? '/' : caller.tenantPath;
    const figures = await rolledFigures(db, prefix, from, end, domain);
    // A Flexisip admin sees its own domain's figures only, though the records are its tenant's.
    const scope = caller.role === 'sipadmin' ? await access.adminScope(caller) : null;
    return figures.filter((f) => scope === null || access.inScope(scope, f.domain));
  }

  return { recordMessage, recordMessageDevice, recordCall, recordCallDevice, endCall, compiled };
}

/** A (date, domain) entry of the figures, made on first use. */
function figuresMap() {
  const figures = new Map<string, DailyFigures>();
  const at = (dayIndex: number | string, dom: string) => {
    const date = dayOf(Number(dayIndex));
    const key = `${date} ${dom}`;
    let f = figures.get(key);
    if (!f) {
      f = { date, domain: dom, messages: { sent: 0, received: 0, encrypted: 0 }, calls: { total: 0, answered: 0, duration: 0 } };
      figures.set(key, f);
    }
    return f;
  };
  const list = () => [...figures.values()].sort((a, b) => a.date.localeCompare(b.date) || a.domain.localeCompare(b.domain));
  return { at, list };
}

/**
 * The figures from the roll-ups (sip_statistics_daily, migration 0025) for days [from, end) of the
 * tenants whose path starts with `prefix`: the same as rawFigures counts from the records, and the
 * same after the records are pruned.
 */
export async function rolledFigures(db: Db, prefix: string, from: number, end: number, domain: string | null): Promise<DailyFigures[]> {
  const rows = await db
    .selectFrom('sip_statistics_daily as d')
    .innerJoin('tenants', 'tenants.id', 'd.tenant_id')
    .select(['d.day', 'd.domain'])
    .select((eb) => [
      eb.fn.sum<number>('d.messages_sent').as('sent'), eb.fn.sum<number>('d.messages_encrypted').as('encrypted'), eb.fn.sum<number>('d.messages_received').as('received'),
      eb.fn.sum<number>('d.calls_total').as('total'), eb.fn.sum<number>('d.calls_answered').as('answered'), eb.fn.sum<number>('d.calls_duration_ms').as('duration_ms'),
    ])
    .where(sql<boolean>`tenants.path like ${`${prefix}%`}`)
    .where('d.day', '>=', Math.floor(from / DAY_MS)).where('d.day', '<', Math.ceil(end / DAY_MS))
    .$if(domain !== null, (q) => q.where('d.domain', '=', domain!))
    .groupBy(['d.day', 'd.domain'])
    .execute();
  const { at, list } = figuresMap();
  for (const r of rows) {
    // Counters moved to zero (a first delivery that moved to another day) are no figure.
    if (Number(r.sent) === 0 && Number(r.received) === 0 && Number(r.total) === 0) continue;
    const f = at(Number(r.day), r.domain);
    f.messages = { sent: Number(r.sent), received: Number(r.received), encrypted: Number(r.encrypted) };
    f.calls = { total: Number(r.total), answered: Number(r.answered), duration: Math.round(Number(r.duration_ms) / 1000) };
  }
  return list();
}

/** The figures counted from the records themselves (what compiled read before the roll-ups; tests compare the two). */
export async function rawFigures(db: Db, prefix: string, from: number, end: number, domain: string | null): Promise<DailyFigures[]> {
  // A literal, not a parameter: PostgreSQL must see the same expression in SELECT and GROUP BY.
  const day = (column: string) => sql<number>`(${sql.ref(column)} / ${sql.lit(DAY_MS)})`;
  const inReach = sql<boolean>`tenants.path like ${`${prefix}%`}`;

  const sent = await db
    .selectFrom('sip_statistics_messages as m')
    .innerJoin('tenants', 'tenants.id', 'm.tenant_id')
    .select([day('m.sent_at').as('day'), 'm.from_domain as domain'])
    .select((eb) => [eb.fn.countAll<number>().as('sent'), eb.fn.sum<number>('m.encrypted').as('encrypted')])
    .where(inReach).where('m.sent_at', '>=', from).where('m.sent_at', '<', end)
    .$if(domain !== null, (q) => q.where('m.from_domain', '=', domain!))
    .groupBy([day('m.sent_at'), 'm.from_domain'])
    .execute();

  const firstDeliveries = db
    .selectFrom('sip_statistics_message_devices as d')
    .innerJoin('sip_statistics_messages as m', 'm.id', 'd.message_id')
    .innerJoin('tenants', 'tenants.id', 'm.tenant_id')
    .select(['d.to_domain as domain'])
    .select((eb) => eb.fn.min<number>('d.received_at').as('first_at'))
    .where(inReach).where('d.last_status', '>=', 200).where('d.last_status', '<', 300)
    .groupBy(['d.message_id', 'd.to_username', 'd.to_domain']);
  const received = await db
    .selectFrom(firstDeliveries.as('r'))
    .select([day('r.first_at').as('day'), 'r.domain'])
    .select((eb) => eb.fn.countAll<number>().as('received'))
    .where('r.first_at', '>=', from).where('r.first_at', '<', end)
    .$if(domain !== null, (q) => q.where('r.domain', '=', domain!))
    .groupBy([day('r.first_at'), 'r.domain'])
    .execute();

  const answers = db
    .selectFrom('sip_statistics_call_devices')
    .select('call_id')
    .select((eb) => eb.fn.min<number>('invite_terminated_at').as('answered_at'))
    .where('invite_terminated_state', '=', 'accepted')
    .groupBy('call_id');
  const calls = await db
    .selectFrom('sip_statistics_calls as c')
    .innerJoin('tenants', 'tenants.id', 'c.tenant_id')
    .leftJoin(answers.as('a'), 'a.call_id', 'c.id')
    .select([day('c.initiated_at').as('day'), 'c.from_domain as domain'])
    .select((eb) => [
      eb.fn.countAll<number>().as('total'),
      eb.fn.count<number>('a.call_id').as('answered'),
      eb.fn.sum<number>(sql`case when c.ended_at is not null and a.answered_at is not null and c.ended_at > a.answered_at then c.ended_at - a.answered_at else 0 end`).as('duration_ms'),
    ])
    .where(inReach).where('c.initiated_at', '>=', from).where('c.initiated_at', '<', end)
    .$if(domain !== null, (q) => q.where('c.from_domain', '=', domain!))
    .groupBy([day('c.initiated_at'), 'c.from_domain'])
    .execute();

  const { at, list } = figuresMap();
  for (const r of sent) Object.assign(at(r.day, r.domain).messages, { sent: Number(r.sent), encrypted: Number(r.encrypted ?? 0) });
  for (const r of received) at(r.day, r.domain).messages.received = Number(r.received);
  for (const r of calls) {
    at(r.day, r.domain).calls = { total: Number(r.total), answered: Number(r.answered), duration: Math.round(Number(r.duration_ms ?? 0) / 1000) };
  }
  return list();
}
