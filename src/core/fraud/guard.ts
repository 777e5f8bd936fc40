/**
 * The SMS-pumping guard, beyond the country allow list (docs/delivery.md "Fraud guard"):
 *  1. every sms/call destination is classified (number-class.ts): invalid, premium-rate, shared-cost
 *     and unknown numbers are refused, and numbers that cannot take a text are refused for sms;
 *  2. conversion (verified ÷ sent) is measured per tenant and destination prefix over a sliding
 *     window in shared state (Redis or SQL, exact across nodes); a prefix below the threshold with
 *     enough sends is blocked, the block recorded (fraud_blocks) and an event raised.
 * Only sends that reach a paid provider are counted: the development outbox costs nothing to pump.
 * A tenant's safe list exempts numbers from the conversion guard (not from the number classes).
 *
 * Cost on the hot path: a send to a real provider is one round trip (one Redis script or one SQL
 * upsert); the safe list is a fresh cache. A verify that succeeded adds a read of the number and one
 * counting round trip.
 */
import type { ChannelName } from '../../channels/channel.js';
import type { Caller } from '../callers.js';
import type { Channels } from '../core.js';
import type { CoreDeps } from '../context.js';
import { GatehouseError, invalid, notFound } from '../errors.js';
import { freshCache } from '../fresh-cache.js';
import { requireCapability } from '../roles.js';
import type { Tenant } from '../tenants/tenants.js';
import type { RedisState } from '../../state/redis-state.js';
import type { ConversionStore } from './conversion.js';
import { createRedisConversion } from './conversion-redis.js';
import { createSqlConversion } from './conversion-sql.js';
import { FraudErrors } from './errors.js';
import { PREFIX, assertSendable, classify, prefixOf } from './number-class.js';

/** What the guard announces; delivery-webhooks posts it to the tenant as a webhook event. */
export interface FraudEvent {
  type: 'fraud.prefix_blocked' | 'fraud.prefix_lifted';
  tenantId: number;
  prefix: string;
  at: number;
  blockedUntil: number;
  /** The window's counts that tripped the block (prefix_blocked). */
  sent: number;
  verified: number;
}
export type FraudListener = (event: FraudEvent) => void | Promise<void>;

export interface BlockedPrefix {
  prefix: string;
  blockedAt: number;
  blockedUntil: number;
  sent: number;
  verified: number;
}

const MAX_SAFE_NUMBERS = 1000;

export function createFraudGuard(deps: CoreDeps, channels: Channels) {
  const { db, statements, state, changes, config, metrics } = deps;
  const rule = config.fraud;
  let now: () => number = Date.now;
  const store: ConversionStore = state.backend === 'redis' ? createRedisConversion(state as RedisState, rule) : createSqlConversion(deps, rule);
  const listeners: FraudListener[] = [];

  const safeOf = statements.prepare<{ number: string }>('select number from fraud_safe_numbers where tenant_id = ?');
  const safeCache = freshCache<number, Set<string>>(changes);
  const safeNumbers = async (tenantId: number) => (await safeCache.read(tenantId, async () => new Set((await safeOf.all(tenantId)).map((r) => r.number))))!;
  const numberOf = statements.prepare<{ to: string }>('select "to" from verifications where request_id = ? and tenant_id = ?');

  /** Whether the conversion guard watches this channel: a real provider's sms or call. */
  const watched = (channel: ChannelName) => rule.enabled && channel !== 'email' && !channels[channel].local;

  /**
   * Raises a fraud event: every listener hears it (delivery-webhooks registers one with onEvent at
   * merge). A failing listener never fails the send that raised it.
   */
  async function raiseFraudEvent(event: FraudEvent): Promise<void> {
    for (const listener of listeners) {
      try {
        await listener(event);
      } catch {
        // The block is already recorded in fraud_blocks; an event lost here is not a block lost.
      }
    }
  }

  /** Refuses a send the guard stops; counts it when it may go. Call before the verification row opens. */
  async function admit(tenant: Pick<Tenant, 'id'>, channel: ChannelName, to: string): Promise<void> {
    if (channel === 'email') return;
    let classified;
    try {
      classified = assertSendable(channel, to);
    } catch (err) {
      metrics.fraudRefused('number_type');
      throw err;
    }
    if (!watched(channel) || (await safeNumbers(tenant.id)).has(to)) return;
    const prefix = prefixOf(classified, rule.prefixDigits);
    const at = now();
    const a = await store.admit(tenant.id, prefix, at);
    if (a.outcome === 'counted') return;
    if (a.outcome === 'tripped') {
      await db.insertInto('fraud_blocks').values({ tenant_id: tenant.id, prefix, blocked_at: at, blocked_until: a.blockedUntil, sent: a.sent, verified: a.verified, lifted_at: null, lifted_by: null }).execute();
      await raiseFraudEvent({ type: 'fraud.prefix_blocked', tenantId: tenant.id, prefix, at, blockedUntil: a.blockedUntil, sent: a.sent, verified: a.verified });
    }
    metrics.fraudRefused('prefix_blocked');
    throw new GatehouseError(FraudErrors.prefixBlocked, `Destination prefix ${prefix} is blocked: too few of the codes sent there were verified`, { field: 'to', details: { prefix } });
  }

  /** Counts a verified code toward its prefix's conversion. Call after a verify succeeded; never throws. */
  async function converted(tenantId: number, requestId: string, channel: string): Promise<void> {
    if (channel !== 'sms' && channel !== 'call') return;
    if (!watched(channel)) return;
    try {
      const row = await numberOf.get(requestId, tenantId);
      if (!row || (await safeNumbers(tenantId)).has(row.to)) return;
      const c = classify(row.to);
      if (c.kind === 'invalid') return;
      await store.converted(tenantId, prefixOf(c, rule.prefixDigits), now());
    } catch {
      // The code is verified and the answer must say so; a lost count only makes the guard stricter.
    }
  }

  async function blockedPrefixes(caller: Caller, tenant: Pick<Tenant, 'id'>): Promise<BlockedPrefix[]> {
    requireCapability(caller, 'codes.policy');
    const rows = await db
      .selectFrom('fraud_blocks')
      .select(['prefix', 'blocked_at', 'blocked_until', 'sent', 'verified'])
      .where('tenant_id', '=', tenant.id)
      .where('lifted_at', 'is', null)
      .where('blocked_until', '>', now())
      .orderBy('blocked_at', 'desc')
      .execute();
    return rows.map((r) => ({ prefix: r.prefix, blockedAt: Number(r.blocked_at), blockedUntil: Number(r.blocked_until), sent: Number(r.sent), verified: Number(r.verified) }));
  }

  /** Lifts a prefix's block and forgets its window, so its sends are judged afresh. */
  async function lift(caller: Caller, tenant: Pick<Tenant, 'id'>, prefix: string): Promise<void> {
    requireCapability(caller, 'codes.policy');
    if (!PREFIX.test(prefix)) throw invalid('prefix', 'must be a destination prefix such as +1-415');
    const at = now();
    const who = caller.accountId === null ? `tenant ${caller.tenantSid}` : `account ${caller.accountId}`;
    const done = await db
      .updateTable('fraud_blocks')
      .set({ lifted_at: at, lifted_by: who })
      .where('tenant_id', '=', tenant.id)
      .where('prefix', '=', prefix)
      .where('lifted_at', 'is', null)
      .where('blocked_until', '>', at)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) === 0) throw notFound(`blocked prefix ${prefix}`);
    await store.lift(tenant.id, prefix);
    await raiseFraudEvent({ type: 'fraud.prefix_lifted', tenantId: tenant.id, prefix, at, blockedUntil: at, sent: 0, verified: 0 });
  }

  async function safeList(caller: Caller, tenant: Pick<Tenant, 'id'>): Promise<string[]> {
    requireCapability(caller, 'codes.policy');
    const rows = await db.selectFrom('fraud_safe_numbers').select('number').where('tenant_id', '=', tenant.id).orderBy('number').execute();
    return rows.map((r) => r.number);
  }

  /** Replaces the tenant's safe list; each entry must be a valid E.164 number. */
  async function setSafeList(caller: Caller, tenant: Pick<Tenant, 'id'>, numbers: string[]): Promise<string[]> {
    requireCapability(caller, 'codes.policy');
    if (numbers.length > MAX_SAFE_NUMBERS) throw invalid('numbers', `may hold at most ${MAX_SAFE_NUMBERS} numbers`);
    numbers.forEach((n, i) => {
      if (!/^\+[1-9]\d{1,14}$/.test(n) || classify(n).kind === 'invalid') throw invalid(`numbers[${i}]`, 'must be a valid E.164 number such as +919960639903');
    });
    const unique = [...new Set(numbers)].sort();
    const at = now();
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('fraud_safe_numbers').where('tenant_id', '=', tenant.id).execute();
      if (unique.length) await trx.insertInto('fraud_safe_numbers').values(unique.map((number) => ({ tenant_id: tenant.id, number, created_at: at }))).execute();
    });
    return unique;
  }

  /** Active blocks per prefix over every tenant, for /metrics. */
  async function blockedCounts(): Promise<Array<{ prefix: string; tenants: number }>> {
    const rows = await db
      .selectFrom('fraud_blocks')
      .select((eb) => ['prefix', eb.fn.count<number>('tenant_id').distinct().as('tenants')])
      .where('lifted_at', 'is', null)
      .where('blocked_until', '>', now())
      .groupBy('prefix')
      .orderBy('prefix')
      .execute();
    return rows.map((r) => ({ prefix: r.prefix, tenants: Number(r.tenants) }));
  }

  /** /metrics lines: blocked prefixes now (a gauge per prefix, and their number). */
  async function metricsText(): Promise<string> {
    const counts = await blockedCounts();
    return [
      '# HELP gatehouse_fraud_blocked_prefixes Destination prefixes blocked by the fraud guard now (tenant blocks, all tenants)',
      '# TYPE gatehouse_fraud_blocked_prefixes gauge',
      `gatehouse_fraud_blocked_prefixes ${counts.reduce((n, c) => n + c.tenants, 0)}`,
      '# HELP gatehouse_fraud_prefix_blocked Tenants for which a destination prefix is blocked now',
      '# TYPE gatehouse_fraud_prefix_blocked gauge',
      ...counts.map((c) => `gatehouse_fraud_prefix_blocked{prefix="${c.prefix}"} ${c.tenants}`),
      '',
    ].join('\n');
  }

  return {
    admit,
    converted,
    blockedPrefixes,
    lift,
    safeList,
    setSafeList,
    metricsText,
    onEvent(listener: FraudListener): void {
      listeners.push(listener);
    },
    /** The guard's clock (tests play hours on a controlled one). */
    useClock(clock: () => number): void {
      now = clock;
    },
  };
}

export type FraudGuard = ReturnType<typeof createFraudGuard>;
