/**
 * Delivering a code: the queue's handler for 'code' jobs. Each claim checks the request first, so a
 * code is never delivered once it was verified, canceled, spent or expired; then it tries the current
 * channel once and records the attempt (a delivery_attempts row, the request's delivery columns and a
 * 'delivery' event). A retryable failure is tried again with backoff; a permanent one, or the last
 * retry, falls back to the next channel (fallback.ts) or fails the request's delivery. With a next
 * channel and Twilio status callbacks, an accepted SMS or call waits for Twilio's report: delivered
 * ends the job, undelivered (or no report in time) falls back.
 */
import type { ChannelName, DeliveryReceipt } from '../../channels/channel.js';
import type { Channels } from '../core.js';
import type { CoreDeps } from '../context.js';
import type { Events } from '../events/events.js';
import { type ClaimedJob, JOB_DONE, type Outcome, type Queue } from '../queue/queue.js';
import type { Stage } from './fallback.js';

export const CODE_JOB = 'code';

/** What a queued code job holds (sealed at rest). */
export interface CodePayload {
  /** The send's service, for the tenant's events. */
  service?: string;
  stages: Stage[];
}

/** How an attempt ended, as delivery_attempts and the metrics name it. */
export type AttemptOutcome = 'accepted' | 'retry' | 'failed';

const EVENT = 'insert into verification_events (request_id, tenant_id, type, detail, created_at)';
const ATTEMPT = 'insert into delivery_attempts (job_id, request_id, tenant_id, channel, provider, provider_id, status, error, created_at)';
const REQUEST_DELIVERY = 'update verifications set delivery_status = ?, provider = ?, provider_id = ?, delivery_error = ? where request_id = ?';

export function codeDelivery({ statements, dialect, config, metrics }: CoreDeps, channels: Channels, queue: Queue, events: Events) {
  const settings = config.delivery;
  const state = statements.prepare<{ status: string; expires_at: number; delivery_status: string; provider_id: string | null }>(
    'select status, expires_at, delivery_status, provider_id from verifications where request_id = ?',
  );
  const event = statements.prepare(`${EVENT} values (?, ?, ?, ?, ?)`);
  let attempted: (a: Attempt) => Promise<unknown>;
  // PostgreSQL: an accepted attempt that ends its job records both in one round trip (rows: 1 while the claim held).
  let attemptedAndDone: ((a: Attempt, job: ClaimedJob) => Promise<number>) | null = null;
  if (dialect === 'postgres') {
    const withDone = statements.prepare(
      `with a as (${ATTEMPT} values (?, ?, ?, ?, ?, ?, ?, ?, ?)),
            v as (${REQUEST_DELIVERY}),
            e as (${EVENT} values (?, ?, 'delivery', ?, ?))
       ${JOB_DONE}`,
    );
    attemptedAndDone = (a, job) =>
      withDone.run(
        a.jobId, a.requestId, a.tenantId, a.channel, a.provider, a.providerId, a.status, a.error, a.at, a.deliveryStatus, a.provider, a.providerId, a.error, a.requestId,
        a.requestId, a.tenantId, a.detail, a.at, a.at, a.at, job.id, job.claims,
      );
    // One round trip: the attempt, the request's delivery columns, its event.
    const all = statements.prepare(
      `with a as (${ATTEMPT} values (?, ?, ?, ?, ?, ?, ?, ?, ?)),
            v as (${REQUEST_DELIVERY})
       ${EVENT} values (?, ?, 'delivery', ?, ?)`,
    );
    attempted = (a) =>
      all.run(a.jobId, a.requestId, a.tenantId, a.channel, a.provider, a.providerId, a.status, a.error, a.at, a.deliveryStatus, a.provider, a.providerId, a.error, a.requestId, a.requestId, a.tenantId, a.detail, a.at);
  } else {
    const attempt = statements.prepare(`${ATTEMPT} values (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const request = statements.prepare(REQUEST_DELIVERY);
    // One turn of the event loop: one group commit.
    attempted = async (a) => {
      await attempt.run(a.jobId, a.requestId, a.tenantId, a.channel, a.provider, a.providerId, a.status, a.error, a.at);
      await request.run(a.deliveryStatus, a.provider, a.providerId, a.error, a.requestId);
      await event.run(a.requestId, a.tenantId, 'delivery', a.detail, a.at);
    };
  }
  const failedDelivery = statements.prepare("update verifications set delivery_status = 'failed', delivery_error = ? where request_id = ?");
  const report = statements.prepare<{ status: string; error: string | null }>('select status, error from delivery_reports where provider_id = ?');
  // A report that came before the attempt was recorded: applied to the request and the attempt now.
  const earlyReport = statements.prepare(
    `update verifications set delivery_status = ?, delivery_error = ? where request_id = ? and provider_id = ?`,
  );
  const earlyAttempt = statements.prepare('update delivery_attempts set status = ?, error = ? where provider_id = ?');
  async function applyEarlyReport(requestId: string, providerId: string): Promise<{ status: string; error: string | null } | undefined> {
    const r = await report.get(providerId);
    if (r) {
      await earlyReport.run(r.status, r.error, requestId, providerId);
      await earlyAttempt.run(r.status === 'delivered' ? 'delivered' : 'undelivered', r.error, providerId);
    }
    return r;
  }

  const peeked = (text: string | null) => {
    if (text === null) return undefined;
    const [status, expiresAt] = text.split(' ');
    return { status: status!, expires_at: Number(expiresAt) };
  };

  /** Twilio reports on a message or call only where it has a public URL to call back. */
  const reportCanCome = (r: DeliveryReceipt): r is DeliveryReceipt & { providerId: string } => r.provider === 'twilio' && r.providerId !== null && config.publicUrl !== null;
  /** A report awaited (before falling back) only where one can come and a wait is set. */
  const reportable = (r: DeliveryReceipt) => settings.reportTimeoutMs > 0 && reportCanCome(r);

  async function handle(job: ClaimedJob): Promise<Outcome> {
    const { stages, service = '' } = JSON.parse(job.payload ?? '{"stages":[]}') as CodePayload;
    const requestId = job.ref;
    const tenantId = job.tenantId;
    // The request's state, from the claim (its peek, PostgreSQL) or read now (SQLite).
    const v = job.peek !== undefined ? peeked(job.peek) : await state.get(requestId);
    if (!v) return { type: 'cancel', reason: 'the request no longer exists' };
    const now = Date.now();
    // The code is checked before every attempt: never delivered once it cannot be used.
    if (v.status !== 'pending') return { type: 'cancel', reason: `the request is ${v.status}` };
    if (Number(v.expires_at) <= now) {
      await event.run(requestId, tenantId, 'delivery', 'not delivered: the code expired first', now);
      return { type: 'cancel', reason: 'the code expired before it was delivered' };
    }
    const hasNext = job.stage + 1 < stages.length;
    if (job.note !== null) {
      // Waiting for Twilio's report on the message or call whose id the note holds.
      const r = await applyEarlyReport(requestId, job.note);
      if (r?.status === 'delivered') return { type: 'ok' };
      const why = r ? 'reported undelivered' : `not reported delivered within ${settings.reportTimeoutMs / 1000} s`;
      if (hasNext) {
        await event.run(requestId, tenantId, 'fallback', `${stages[job.stage]!.channel} ${why}: falling back to ${stages[job.stage + 1]!.channel}`, now);
        return { type: 'next', error: why };
      }
      return { type: 'ok' };
    }
    const stage = stages[job.stage];
    if (!stage) return { type: 'permanent', error: 'no channel left to deliver on' };
    const r = await channels[stage.channel].send({ channel: stage.channel, tenantId, to: stage.to, from: stage.from, subject: stage.subject, body: stage.body, options: stage.options });
    const error = r.error?.slice(0, 500) ?? null;
    const lastTry = r.status === 'failed' && r.retryable === true && job.attempt >= settings.attempts;
    // The last retry's failure is final: recorded (and counted) as failed.
    const outcome: AttemptOutcome = r.status !== 'failed' ? 'accepted' : r.retryable && !lastTry ? 'retry' : 'failed';
    const attempt: Attempt = {
      jobId: job.id,
      requestId,
      tenantId,
      channel: stage.channel,
      provider: r.provider,
      providerId: r.providerId,
      status: outcome,
      error,
      at: Date.now(),
      // The request's own delivery status stays Twilio's words (queued, sent, delivered, failed).
      deliveryStatus: outcome === 'accepted' ? r.status : outcome === 'retry' ? 'retrying' : 'failed',
      detail: `${stage.channel} ${r.provider}: ${outcome === 'accepted' ? r.status : outcome}${error ? `: ${error}` : ''}`.slice(0, 500),
    };
    const facts = { requestId, service, channel: stage.channel, to: stage.to };
    // Accepted with no report to come (so none to wait for or look for): the job ends with the
    // attempt's own statement. The tenant hears first: a crash between them delivers again and tells
    // it twice, never not at all.
    if (attemptedAndDone && outcome === 'accepted' && !reportCanCome(r)) {
      await events.sent(tenantId!, facts, { status: r.status, provider: r.provider, providerId: r.providerId, error: null });
      const ended = (await attemptedAndDone(attempt, job)) > 0;
      metrics.deliveryAttempt(stage.channel, r.provider, outcome);
      return { type: 'ok', ended };
    }
    await attempted(attempt);
    metrics.deliveryAttempt(stage.channel, r.provider, outcome);
    // The tenant hears of a channel's acceptance, and of the delivery's final failure, once each.
    if (outcome === 'accepted') await events.sent(tenantId!, facts, { status: r.status, provider: r.provider, providerId: r.providerId, error: null });
    else if (outcome === 'failed' && !hasNext) await events.sent(tenantId!, facts, { status: 'failed', provider: r.provider, providerId: r.providerId, error });
    if (outcome === 'accepted' && reportCanCome(r)) {
      const early = await applyEarlyReport(requestId, r.providerId);
      if (early?.status === 'delivered') return { type: 'ok' };
      if (early && hasNext) return { type: 'wait', ms: 0, note: r.providerId };
    }
    if (outcome === 'accepted') return hasNext && reportable(r) ? { type: 'wait', ms: settings.reportTimeoutMs, note: r.providerId } : { type: 'ok' };
    if (outcome === 'retry') return { type: 'retry', error: error ?? 'failed', retryAfterMs: r.retryAfterMs ?? null };
    if (hasNext) {
      const why = lastTry ? `failed ${job.attempt} times` : 'refused';
      await event.run(requestId, tenantId, 'fallback', `${stage.channel} ${why}: falling back to ${stages[job.stage + 1]!.channel}`, Date.now());
      return { type: 'next', error };
    }
    return { type: 'permanent', error: lastTry ? `gave up after ${job.attempt} attempts: ${error}` : (error ?? 'failed') };
  }

  queue.register(CODE_JOB, {
    handle,
    peek: "select v.status || ' ' || v.expires_at from verifications v where v.request_id = j.ref",
    // The handler decides when retries end (to fall back); the queue's own limit is only a backstop.
    maxAttempts: settings.attempts + 1,
    async ended(job, endState, error) {
      if (endState === 'failed') await failedDelivery.run(error?.slice(0, 500) ?? 'failed', job.ref);
    },
  });

  /** The stages of a send: its own channel, then each fallback with the same message. */
  function stagesOf(first: Stage, fallback: Array<{ channel: ChannelName; to?: string }>, emailSubject: string | null): Stage[] {
    return [
      first,
      ...fallback.map((f) => ({
        channel: f.channel,
        to: f.to ?? first.to,
        // A phone sender does not carry over to email, nor an email sender to a phone.
        from: f.channel === 'email' || first.channel === 'email' ? null : first.from,
        subject: f.channel === 'email' ? (emailSubject ?? 'Your verification code') : null,
        body: first.body,
        options: f.channel === 'call' ? first.options : undefined,
      })),
    ];
  }

  return { stagesOf };
}

interface Attempt {
  jobId: number;
  requestId: string;
  tenantId: number | null;
  channel: ChannelName;
  provider: string;
  providerId: string | null;
  status: AttemptOutcome;
  error: string | null;
  at: number;
  deliveryStatus: string;
  detail: string;
}
