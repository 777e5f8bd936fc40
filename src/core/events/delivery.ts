/**
 * Webhook deliveries as jobs of kind 'webhook' on the delivery queue (core/queue/queue.ts): the
 * queue claims, leases and fences; this handler posts one attempt, signed afresh, and keeps the
 * delivery's record (webhook_deliveries) saying what happened.
 *
 * Retries follow GATEHOUSE_WEBHOOKS_RETRY (each wait jittered ±20 %, handed to the queue as the
 * retry's delay), or the receiver's Retry-After when it sends one: any non-2xx answer, a timeout or
 * a connection error is retried; an address the SSRF rule refuses is not (address-guard.ts). After
 * the first attempt and every retry of the schedule, the delivery is recorded failed.
 *
 * At least once: a process that got the receiver's 2xx and died before recording it leaves the job
 * to be claimed again after its lease, and the receiver gets the same webhook-id twice.
 */
import type { CoreDeps } from '../context.js';
import type { Queue } from '../queue/queue.js';
import { type Attempt, createPoster } from './post.js';
import { secretContext, signedHeaders } from './signing.js';

export const WEBHOOK_JOB = 'webhook';

export interface DeliveryOptions {
  /** Replaces the real post (tests of the bookkeeping only). */
  post?: (url: string, headers: Record<string, string>, body: string) => Promise<Attempt>;
}

/** The delivery a job posts: its ref is the delivery's sid, with ":r<time>" after a resend. */
export const deliveryOf = (ref: string) => ref.split(':')[0]!;

export function registerWebhookDelivery(deps: CoreDeps, queue: Queue, options: DeliveryOptions = {}) {
  const { db, sealer, config, metrics } = deps;
  const { retryDelaysMs } = config.webhooks;
  const post = options.post ?? createPoster(config.webhooks);
  const maxAttempts = retryDelaysMs.length + 1;

  /** The wait before retry n (1-based), jittered; null when the schedule is spent. */
  const delayBefore = (retry: number): number | null => {
    const base = retryDelaysMs[retry - 1];
    return base === undefined ? null : Math.round(base * (0.8 + Math.random() * 0.4));
  };

  /**
   * Writes what an attempt did on the delivery's record. Best effort: when it fails (the database is
   * away for a moment) the attempt's outcome still goes to the queue, whose own row is the authority;
   * `ended` below writes the final state again. Throwing here instead would make a 2xx a retry, and
   * the receiver would get the same delivery twice.
   */
  const record = async (sid: string, ref: string, values: Record<string, unknown>) => {
    try {
      await db.updateTable('webhook_deliveries').set({ ...values, updated_at: Date.now() }).where('sid', '=', sid).where('job_ref', '=', ref).execute();
    } catch {
      // See above.
    }
  };

  queue.register(WEBHOOK_JOB, {
    maxAttempts,
    async handle(job) {
      const sid = deliveryOf(job.ref);
      const row = await db
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
        .select(['d.payload', 'd.job_ref', 'w.sid as webhook', 'w.url', 'w.secret'])
        .where('d.sid', '=', sid)
        .executeTakeFirst();
      // Its webhook was deleted (and the record with it), or a resend replaced this job.
      if (!row || row.job_ref !== job.ref) return { type: 'cancel', reason: 'the delivery is gone or was resent' };
      const secret = sealer.open(row.secret, secretContext(row.webhook));
      let a: Attempt;
      try {
        a = await post(row.url, signedHeaders(secret, sid, row.payload), row.payload);
      } catch (err) {
        a = { status: null, error: (err as Error).message.slice(0, 300), refused: false };
      }
      const t = Date.now();
      if (a.status !== null && a.status >= 200 && a.status < 300) {
        await record(sid, job.ref, { status: 'delivered', attempts: job.attempt, last_status: a.status, last_error: null, delivered_at: t, next_attempt_at: t });
        return { type: 'ok' };
      }
      const error = (a.error ?? `HTTP ${a.status}`).slice(0, 500);
      const refused = a.status === null && a.refused;
      const wait = refused ? null : a.retryAfterMs ?? delayBefore(job.attempt);
      const last = wait === null || job.attempt >= maxAttempts;
      metrics.webhookFailed(refused ? 'refused' : last ? 'gave_up' : 'retry');
      await record(sid, job.ref, { status: last ? 'failed' : 'pending', attempts: job.attempt, last_status: a.status, last_error: error, next_attempt_at: last ? t : t + wait! });
      if (refused) return { type: 'permanent', error };
      return last ? { type: 'permanent', error: `gave up after ${job.attempt} attempts: ${error}` } : { type: 'retry', error, retryAfterMs: wait };
    },
    async ended(job, state, error) {
      // The record of a job that ended while the handler's own write did not land (or never ran).
      if (state === 'canceled') return;
      const t = Date.now();
      await db
        .updateTable('webhook_deliveries')
        .set(state === 'done' ? { status: 'delivered', delivered_at: t, updated_at: t } : { status: 'failed', last_error: error?.slice(0, 500) ?? null, updated_at: t })
        .where('sid', '=', deliveryOf(job.ref))
        .where('job_ref', '=', job.ref)
        .where('status', '=', 'pending')
        .execute();
    },
  });
}
