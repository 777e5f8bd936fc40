/**
 * Tenant webhooks: register (the secret shown once, sealed at rest), list, remove; the recent
 * deliveries of one and a resend; and `raise`, which every place an event happens calls. Raising
 * costs one cached read when the tenant has no webhook for the event, and one insert per webhook
 * when it has: a prepared statement, so on SQLite it joins the group commit of the writes that made
 * the event (storage/statements.ts) and is committed with them, or not at all.
 */
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { newSid } from '../crypto.js';
import { GatehouseError, conflict, invalid, notFound } from '../errors.js';
import { freshCache } from '../fresh-cache.js';
import { requireCapability } from '../roles.js';
import type { Tenants } from '../tenants/tenants.js';
import { type Lookup, UnsafeAddressError, safeAddresses, systemLookup } from './address-guard.js';
import { EVENT_TYPES, type EventType, eventBody, isEventType } from './catalogue.js';
import { WebhookErrors } from './errors.js';
import { newMessageId, newSecret, secretContext } from './signing.js';
import type { DeliveryStatus } from './tables.js';
import { type Queue, jobKey } from '../queue/queue.js';
import { WEBHOOK_JOB } from './delivery.js';

/** Endpoints per tenant: every event fans out to each, so the fan-out is bounded. */
export const MAX_WEBHOOKS = 10;
/** Deliveries a list shows at most. */
export const MAX_LISTED = 200;


export interface Webhook {
  id: string;
  tenantId: number;
  url: string;
  /** Empty: every event. */
  events: EventType[];
  description: string | null;
  createdAt: number;
}

export interface Delivery {
  /** The webhook-id header: the same on every attempt and resend. */
  id: string;
  webhookId: string;
  event: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
  createdAt: number;
  deliveredAt: number | null;
  /** The body as posted (events carry no secrets: never a code, never a message body). */
  payload: string;
}

export interface NewWebhook {
  url: string;
  events?: string[];
  description?: string | null;
}

/** What a raise enqueues for one webhook: the row the worker (or the shared queue's handler) delivers. */
export interface WebhookJob {
  sid: string;
  webhookId: number;
  tenantId: number;
  type: EventType;
  key: string | null;
  payload: string;
  at: number;
}

type WebhookRow = { id: number; sid: string; tenant_id: number; url: string; events: string; description: string | null; created_at: number | string };

const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.sid,
  tenantId: Number(r.tenant_id),
  url: r.url,
  events: JSON.parse(r.events) as EventType[],
  description: r.description,
  createdAt: Number(r.created_at),
});

const NONE = Promise.resolve(0);

/** Whether a webhook subscribed to these events receives this one. */
export const subscribes = (events: readonly string[], type: string) => events.length === 0 || events.includes(type);

export function createWebhooks(deps: CoreDeps, tenants: Tenants, queue: Queue, options: { lookup?: Lookup } = {}) {
  const { db, statements, sealer, config, changes } = deps;
  const lookup = options.lookup ?? systemLookup;

  // The hot path's read: a tenant's webhooks and what each subscribes to.
  const hooksOf = statements.prepare<{ id: number; events: string }>('select id, events from webhooks where tenant_id = ?');
  const hooksCache = freshCache<number, Array<{ id: number; events: string[] }>>(changes);
  const insert = statements.prepare(
    `insert into webhook_deliveries (sid, webhook_id, tenant_id, event_type, event_key, payload, status, attempts, next_attempt_at, job_ref, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?) on conflict (webhook_id, event_key) do nothing`,
  );

  /**
   * Puts one delivery on the queue: its record, and the delivery queue's job of kind 'webhook' that
   * posts it (core/events/delivery.ts). Both prepared statements, one after the other: on SQLite they
   * join the group commit of the writes that raised the event, so all commit together or none does.
   */
  async function enqueueWebhook(job: WebhookJob): Promise<void> {
    const added = await insert.run(job.sid, job.webhookId, job.tenantId, job.type, job.key, job.payload, job.at, job.sid, job.at, job.at);
    if (added === 1) await queue.enqueue({ kind: WEBHOOK_JOB, ref: job.sid, tenantId: job.tenantId, payload: null });
  }

  /**
   * An event happened in a tenant: one delivery per webhook of the tenant that subscribes to it.
   * `key` makes it fire once per webhook (a second raise with the same key is dropped).
   */
  function raise(tenantId: number, type: EventType, data: object, key: string | null = null): Promise<number> {
    // Most tenants have no webhook taking most events: known so, a raise (one on every send) writes
    // nothing and waits for nothing.
    const known = hooksCache.peek(tenantId);
    if (known && !known.some((hook) => subscribes(hook.events, type))) return NONE;
    return enqueueAll(tenantId, type, data, key);
  }

  async function enqueueAll(tenantId: number, type: EventType, data: object, key: string | null): Promise<number> {
    const hooks = (await hooksCache.read(tenantId, async () => (await hooksOf.all(tenantId)).map((h) => ({ id: Number(h.id), events: JSON.parse(h.events) as string[] }))))!;
    let n = 0;
    const at = Date.now();
    for (const hook of hooks) {
      if (!subscribes(hook.events, type)) continue;
      await enqueueWebhook({ sid: newMessageId(at), webhookId: hook.id, tenantId, type, key, payload: eventBody(type, data, at), at });
      n++;
    }
    return n;
  }

  /** The URL a tenant may register: https, no credentials or fragment, a host resolving only to allowed addresses. */
  async function checkUrl(text: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(text.trim());
    } catch {
      throw invalid('url', 'is not a valid URL');
    }
    if (url.protocol !== 'https:') throw invalid('url', 'must be an https:// URL');
    if (url.username || url.password) throw invalid('url', 'must not carry credentials');
    if (url.hash) throw invalid('url', 'must not have a #fragment');
    if (url.href.length > 2000) throw invalid('url', 'must be at most 2000 characters');
    try {
      await safeAddresses(url.hostname, config.webhooks.allowPrivate, lookup);
    } catch (err) {
      if (err instanceof UnsafeAddressError) {
        throw new GatehouseError(WebhookErrors.unsafeAddress, `url: ${err.message}: webhooks may only call public addresses`, { field: 'url' });
      }
      throw invalid('url', `its host ${url.hostname} does not resolve`);
    }
    return url.href;
  }

  async function register(caller: Caller, tenantRef: string | number, input: NewWebhook): Promise<{ webhook: Webhook; secret: string }> {
    requireCapability(caller, 'webhooks.manage');
    const tenant = await tenants.get(caller, tenantRef);
    const events = [...new Set(input.events ?? [])];
    events.forEach((e, i) => {
      if (!isEventType(e)) throw invalid(`events[${i}]`, `is not an event: one of ${EVENT_TYPES.join(', ')}`);
    });
    const description = input.description?.trim() || null;
    if (description && description.length > 200) throw invalid('description', 'must be at most 200 characters');
    const url = await checkUrl(input.url);
    const count = await db.selectFrom('webhooks').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenant.id).executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_WEBHOOKS) throw new GatehouseError(WebhookErrors.tooMany, `a tenant may have at most ${MAX_WEBHOOKS} webhooks`);
    const sid = newSid('wh_');
    const secret = newSecret();
    const row = await db
      .insertInto('webhooks')
      .values({ sid, tenant_id: tenant.id, url, events: JSON.stringify(events), description, secret: sealer.seal(secret, secretContext(sid)), created_at: Date.now() })
      .returning(['id', 'sid', 'tenant_id', 'url', 'events', 'description', 'created_at'])
      .executeTakeFirstOrThrow();
    return { webhook: toWebhook(row), secret };
  }

  async function list(caller: Caller, tenantRef: string | number): Promise<Webhook[]> {
    requireCapability(caller, 'webhooks.manage');
    const tenant = await tenants.get(caller, tenantRef);
    const rows = await db.selectFrom('webhooks').select(['id', 'sid', 'tenant_id', 'url', 'events', 'description', 'created_at']).where('tenant_id', '=', tenant.id).orderBy('id').execute();
    return rows.map(toWebhook);
  }

  /** A webhook in the caller's reach; 404 for one that does not exist, 403 outside reach (tenants.get). */
  async function find(caller: Caller, sid: string): Promise<WebhookRow> {
    requireCapability(caller, 'webhooks.manage');
    if (!/^wh_[0-9a-f]{32}$/.test(sid)) throw notFound('webhook');
    const row = await db.selectFrom('webhooks').select(['id', 'sid', 'tenant_id', 'url', 'events', 'description', 'created_at']).where('sid', '=', sid).executeTakeFirst();
    if (!row) throw notFound('webhook');
    await tenants.get(caller, row.tenant_id);
    return row;
  }

  async function get(caller: Caller, sid: string): Promise<Webhook> {
    return toWebhook(await find(caller, sid));
  }

  /** Removes the webhook and its deliveries (a pending one is never posted). */
  async function remove(caller: Caller, sid: string): Promise<void> {
    const row = await find(caller, sid);
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('webhook_deliveries').where('webhook_id', '=', row.id).execute();
      await trx.deleteFrom('webhooks').where('id', '=', row.id).execute();
    });
  }

  const deliveryColumns = ['sid', 'event_type', 'status', 'attempts', 'last_status', 'last_error', 'next_attempt_at', 'created_at', 'delivered_at', 'payload'] as const;
  type DeliveryRow = { sid: string; event_type: string; status: string; attempts: number; last_status: number | null; last_error: string | null; next_attempt_at: number | string; created_at: number | string; delivered_at: number | string | null; payload: string };
  const toDelivery = (webhookId: string, r: DeliveryRow): Delivery => ({
    id: r.sid,
    webhookId,
    event: r.event_type,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    lastStatus: r.last_status === null ? null : Number(r.last_status),
    lastError: r.last_error,
    nextAttemptAt: r.status === 'pending' ? Number(r.next_attempt_at) : null,
    createdAt: Number(r.created_at),
    deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
    payload: r.payload,
  });

  /** The webhook's most recent deliveries, newest first. */
  async function deliveries(caller: Caller, sid: string, options: { limit?: number; status?: DeliveryStatus } = {}): Promise<Delivery[]> {
    const hook = await find(caller, sid);
    const limit = Math.min(Math.max(options.limit ?? 50, 1), MAX_LISTED);
    let query = db.selectFrom('webhook_deliveries').select(deliveryColumns).where('webhook_id', '=', hook.id);
    if (options.status) query = query.where('status', '=', options.status);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => toDelivery(sid, r));
  }

  /**
   * Posts a delivery again: the same message (id and body), due now. A pending one waiting for its
   * next retry is moved to now; a delivered or failed one gets a new job, its attempts counted
   * afresh. Refused (409) while a worker is posting it.
   */
  async function resend(caller: Caller, sid: string, deliveryId: string): Promise<Delivery> {
    const hook = await find(caller, sid);
    const read = () => db.selectFrom('webhook_deliveries').select([...deliveryColumns, 'job_ref']).where('sid', '=', deliveryId).where('webhook_id', '=', hook.id).executeTakeFirst();
    const row = await read();
    if (!row) throw notFound('delivery');
    const t = Date.now();
    if (row.status === 'pending') {
      if (!(await queue.hurry(jobKey(WEBHOOK_JOB, row.job_ref)))) throw conflict('this delivery is being posted right now: try again when the attempt has ended');
      await db.updateTable('webhook_deliveries').set({ next_attempt_at: t, updated_at: t }).where('sid', '=', deliveryId).where('job_ref', '=', row.job_ref).execute();
    } else {
      const ref = `${deliveryId}:r${t}`;
      await db.transaction().execute(async (trx) => {
        const moved = await trx
          .updateTable('webhook_deliveries')
          .set({ status: 'pending', attempts: 0, next_attempt_at: t, job_ref: ref, updated_at: t })
          .where('sid', '=', deliveryId)
          .where('job_ref', '=', row.job_ref)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) throw conflict('this delivery was resent at the same moment: look at it again');
        await queue.enqueueIn(trx, { kind: WEBHOOK_JOB, ref, tenantId: Number(hook.tenant_id), payload: null });
      });
      queue.wake();
    }
    return toDelivery(sid, (await read())!);
  }

  return {
    register,
    list,
    get,
    remove,
    deliveries,
    resend,
    raise,
    enqueueWebhook,
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
