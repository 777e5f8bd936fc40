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
  const { statements, sealer, config, metrics } = deps;
  // Prepared statements, not Kysely: a delivery is not a change of configuration, so it must not
  // expire this process's caches (storage/changes.ts), nor commit SQLite's open write group early.
  const load = statements.prepare<{ payload: string; job_ref: string; webhook: string; url: string; secret: string }>(
    'select d.payload, d.job_ref, w.sid as webhook, w.url, w.secret from webhook_deliveries d inner join webhooks w on w.id = d.webhook_id where d.sid = ?',
  );
  const recordDelivered = statements.prepare(
    "update webhook_deliveries set status = 'delivered', attempts = ?, last_status = ?, last_error = null, delivered_at = ?, next_attempt_at = ?, updated_at = ? where sid = ? and job_ref = ?",
  );
  const recordFailure = statements.prepare(
    'update webhook_deliveries set status = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?, updated_at = ? where sid = ? and job_ref = ?',
  );
  const endDelivered = statements.prepare("update webhook_deliveries set status = 'delivered', delivered_at = ?, updated_at = ? where sid = ? and job_ref = ? and status = 'pending'");
  const endFailed = statements.prepare("update webhook_deliveries set status = 'failed', last_error = ?, updated_at = ? where sid = ? and job_ref = ? and status = 'pending'");
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
  const record = async (write: () => Promise<unknown>) => {
    try {
      await write();
    } catch {
      // See above.
    }
  };

  queue.register(WEBHOOK_JOB, {
    maxAttempts,
    async handle(job) {
      const sid = deliveryOf(job.ref);
      const row = await load.get(sid);
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
        await record(() => recordDelivered.run(job.attempt, a.status, t, t, t, sid, job.ref));
        return { type: 'ok' };
      }
      const error = (a.error ?? `HTTP ${a.status}`).slice(0, 500);
      const refused = a.status === null && a.refused;
      const wait = refused ? null : a.retryAfterMs ?? delayBefore(job.attempt);
      const last = wait === null || job.attempt >= maxAttempts;
      metrics.webhookFailed(refused ? 'refused' : last ? 'gave_up' : 'retry');
      await record(() => recordFailure.run(last ? 'failed' : 'pending', job.attempt, a.status, error, last ? t : t + wait!, t, sid, job.ref));
      if (refused) return { type: 'permanent', error };
      return last ? { type: 'permanent', error: `gave up after ${job.attempt} attempts: ${error}` } : { type: 'retry', error, retryAfterMs: wait };
    },
    async ended(job, state, error) {
      // The record of a job that ended while the handler's own write did not land (or never ran).
      if (state === 'canceled') return;
      const t = Date.now();
      if (state === 'done') await endDelivered.run(t, t, deliveryOf(job.ref), job.ref);
      else await endFailed.run(error?.slice(0, 500) ?? null, t, deliveryOf(job.ref), job.ref);
    },
  });
}
