/**
 * When verification.expired fires: once per request, for a code whose timeout passed while it was
 * still pending (never verified, cancelled or spent by wrong codes), within a poll of the worker
 * after it expired. Nothing else marks the moment a code expires (a verify that comes late is simply
 * refused), so a sweep finds them: the window since the last sweep, kept in `meta` as a cursor that
 * exactly one process advances per window (compare-and-set), in the same transaction as the
 * deliveries it queues. A crash before the commit leaves the cursor where it was; the unique
 * (webhook, event key) index makes a second queueing of the same expiry a no-op anyway.
 *
 * A webhook hears of codes that expire after it was registered, not of older ones. While no webhook
 * listens for verification.expired, the sweep reads one small table and writes nothing.
 */
import type { CoreDeps } from '../context.js';
import type { Queue } from '../queue/queue.js';
import { WEBHOOK_JOB } from './delivery.js';
import { eventBody } from './catalogue.js';
import { newMessageId } from './signing.js';
import { subscribes } from './webhooks.js';
import { expiring } from '../verifications/tables.js';

const CURSOR = 'webhooks.expired_swept_until';
/** How often: verification.expired fires within about this long of the expiry. */
const SWEEP_MS = 1000;
/** The longest a code lives (a send's timeout is at most 86 400 s): bounds the scan by created_at, which is indexed. */
const MAX_TIMEOUT_MS = 86_400_000;

export function expirySweep({ db }: CoreDeps, queue: Queue) {
  async function sweep(now: number = Date.now()): Promise<number> {
    // Nobody listens: nothing to find, and the cursor is not written (an idle deployment writes nothing).
    const listening = await db.selectFrom('webhooks').select(['id', 'tenant_id', 'events', 'created_at']).execute();
    if (!listening.some((h) => subscribes(JSON.parse(h.events) as string[], 'verification.expired'))) return 0;
    const queued = await db.transaction().execute(async (trx) => {
      const cursor = await trx.selectFrom('meta').select('value').where('key', '=', CURSOR).executeTakeFirst();
      if (!cursor) {
        await trx.insertInto('meta').values({ key: CURSOR, value: String(now) }).onConflict((oc) => oc.column('key').doNothing()).execute();
        return 0;
      }
      const from = Number(cursor.value);
      if (!(now > from)) return 0;
      // Whoever moves the cursor owns the window (from, now]; another process finds it moved and stops.
      const moved = await trx.updateTable('meta').set({ value: String(now) }).where('key', '=', CURSOR).where('value', '=', cursor.value).executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return 0;
      const hooks = (await trx.selectFrom('webhooks').select(['id', 'tenant_id', 'events', 'created_at']).execute()).filter((h) => subscribes(JSON.parse(h.events) as string[], 'verification.expired'));
      let n = 0;
      for (const tenantId of new Set(hooks.map((h) => Number(h.tenant_id)))) {
        const theirs = hooks.filter((x) => Number(x.tenant_id) === tenantId);
        // A webhook hears of codes that expire after it was registered, whatever the cursor says.
        const since = Math.max(from, Math.min(...theirs.map((h) => Number(h.created_at))));
        const expired = await trx
          .selectFrom('verifications as v')
          .innerJoin('tenants as t', 't.id', 'v.tenant_id')
          .select(['v.request_id', 'v.service', 'v.channel', 'v.to', 'v.attempts', 'v.expires_at', 't.sid'])
          .where('v.tenant_id', '=', tenantId)
          .where('v.created_at', '>', since - MAX_TIMEOUT_MS)
          .where(expiring('v.'))
          .where('v.expires_at', '>', since)
          .where('v.expires_at', '<=', now)
          .execute();
        for (const v of expired) {
          const at = Number(v.expires_at);
          const payload = eventBody('verification.expired', { requestId: v.request_id, accountSid: v.sid, service: v.service, channel: v.channel, to: v.to, attempts: Number(v.attempts) }, at);
          for (const h of theirs.filter((x) => Number(x.created_at) < at)) {
            const t = Date.now();
            const sid = newMessageId(t);
            const r = await trx
              .insertInto('webhook_deliveries')
              .values({ sid, webhook_id: h.id, tenant_id: tenantId, event_type: 'verification.expired', event_key: `verification.expired:${v.request_id}`, payload, status: 'pending', attempts: 0, next_attempt_at: t, job_ref: sid, created_at: t, updated_at: t })
              .onConflict((oc) => oc.columns(['webhook_id', 'event_key']).doNothing())
              .executeTakeFirst();
            if (Number(r.numInsertedOrUpdatedRows ?? 0) !== 1) continue;
            await queue.enqueueIn(trx, { kind: WEBHOOK_JOB, ref: sid, tenantId, payload: null });
            n++;
          }
        }
      }
      return n;
    });
    if (queued) queue.wake();
    return queued;
  }

  // Every serving process sweeps (server.ts starts it); the cursor makes each window one process's.
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  return {
    sweep,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        if (!running) running = sweep().catch(() => 0).finally(() => (running = null));
      }, SWEEP_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
