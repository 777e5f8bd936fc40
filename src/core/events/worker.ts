/**
 * The webhook worker: claims due deliveries, posts them signed, records what happened, and retries
 * on the configured schedule (GATEHOUSE_WEBHOOKS_RETRY, with ±20 % jitter so a receiver that comes
 * back is not hit by every retry at once). Any non-2xx answer, a timeout or a connection error is
 * retried; an address the SSRF rule refuses is not (core/events/address-guard.ts).
 *
 * A claim is a lease: one statement marks up to BATCH due rows as held until now + lease and counts
 * the attempt; on PostgreSQL it skips rows another process holds (FOR UPDATE SKIP LOCKED), so any
 * number of processes share the work and none posts a row another holds; on SQLite the one writer
 * makes the statement atomic anyway. A worker that dies leaves its lease to run out, and the row is
 * claimed again: delivery is at least once (a receiver drops repeats by webhook-id). The outcome is
 * written only while the lease is still this worker's (fenced by its lease_until), so a worker that
 * outlived its lease does not overwrite the next one's record.
 *
 * This is the smallest worker that claims its own table the way the shared delivery queue does; when
 * that queue lands, deliveries become its jobs of kind 'webhook' and `deliver` below is their handler.
 */
import { sql } from 'kysely';
import type { CoreDeps } from '../context.js';
import { expirySweep } from './expiry-sweep.js';
import { type Attempt, createPoster } from './post.js';
import { signedHeaders } from './signing.js';
import { secretContext } from './webhooks.js';

/** Deliveries one claim takes at most (posted concurrently). */
const BATCH = 16;
/** How often expired codes are looked for (verification.expired fires within about this much of the expiry, plus a poll). */
const SWEEP_MS = 1000;

interface Claimed {
  id: number;
  sid: string;
  webhook_id: number;
  tenant_id: number;
  payload: string;
  attempts: number;
  lease_until: number | string;
}

export interface WorkerOptions {
  /** Replaces the real post (tests of the worker's bookkeeping only). */
  post?: (url: string, headers: Record<string, string>, body: string) => Promise<Attempt>;
  /** Longest pause between looks at the table. */
  pollMs?: number;
}

export function createWebhookWorker(deps: CoreDeps, options: WorkerOptions = {}) {
  const { db, dialect, sealer, config, metrics } = deps;
  const { retryDelaysMs, timeoutMs } = config.webhooks;
  const post = options.post ?? createPoster(config.webhooks);
  const leaseMs = timeoutMs + 30_000;
  const pollMs = options.pollMs ?? Math.min(1000, ...retryDelaysMs.filter((d) => d > 0).map((d) => Math.max(50, Math.round(d * 0.8))));
  // Expired codes are found by the same loop; what it queues is delivered by the next claim.
  const sweep = expirySweep(deps, () => {});

  const claimSql = (t: number) => sql<Claimed>`
    update webhook_deliveries set lease_until = ${t + leaseMs}, attempts = attempts + 1, updated_at = ${t}
    where id in (
      select id from webhook_deliveries
      where status = 'pending' and next_attempt_at <= ${t} and (lease_until is null or lease_until <= ${t})
      order by next_attempt_at limit ${BATCH}
      ${dialect === 'postgres' ? sql`for update skip locked` : sql``}
    )
    returning id, sid, webhook_id, tenant_id, payload, attempts, lease_until`;

  async function claim(): Promise<Claimed[]> {
    return (await claimSql(Date.now()).execute(db)).rows;
  }

  /** The wait before retry n (1-based), jittered; null when the schedule is spent. */
  function delayBefore(retry: number): number | null {
    const base = retryDelaysMs[retry - 1];
    return base === undefined ? null : Math.round(base * (0.8 + Math.random() * 0.4));
  }

  async function record(d: Claimed, a: Attempt): Promise<void> {
    const t = Date.now();
    const ok = a.status !== null && a.status >= 200 && a.status < 300;
    const attempts = Number(d.attempts);
    const wait = ok || (a.status === null && a.refused) ? null : delayBefore(attempts);
    const status = ok ? 'delivered' : wait === null ? 'failed' : 'pending';
    if (!ok) metrics.webhookFailed(status === 'failed' ? ((a.status === null && a.refused) ? 'refused' : 'gave_up') : 'retry');
    const error = ok ? null : (a.error ?? `HTTP ${a.status}`).slice(0, 500);
    await db
      .updateTable('webhook_deliveries')
      .set({
        status,
        lease_until: null,
        last_status: a.status,
        last_error: error,
        updated_at: t,
        next_attempt_at: wait === null ? t : t + wait,
        delivered_at: ok ? t : null,
      })
      .where('id', '=', d.id)
      .where('lease_until', '=', Number(d.lease_until))
      .execute();
  }

  /** One claimed delivery: its webhook's URL and secret, the signed post, the record. */
  async function deliver(d: Claimed): Promise<void> {
    const hook = await db.selectFrom('webhooks').select(['sid', 'url', 'secret']).where('id', '=', d.webhook_id).executeTakeFirst();
    if (!hook) return; // removed since: its deliveries went with it
    const secret = sealer.open(hook.secret, secretContext(hook.sid));
    let outcome: Attempt;
    try {
      outcome = await post(hook.url, signedHeaders(secret, d.sid, d.payload), d.payload);
    } catch (err) {
      outcome = { status: null, error: (err as Error).message.slice(0, 300), refused: false };
    }
    await record(d, outcome);
  }

  let lastSweep = 0;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = true;
  let closing = false;
  let again = false;

  /** Works until nothing is due: claim, post the batch, repeat. Answers how many were posted. */
  async function drain(): Promise<number> {
    let n = 0;
    if (Date.now() - lastSweep >= SWEEP_MS) {
      lastSweep = Date.now();
      await sweep().catch(() => {});
    }
    for (;;) {
      const batch = await claim();
      if (batch.length === 0) return n;
      await Promise.all(batch.map((d) => deliver(d).catch(() => {})));
      n += batch.length;
      if (closing) return n;
    }
  }

  function schedule(ms: number) {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, ms);
    timer.unref();
  }

  function tick() {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .catch(() => 0)
      .then(() => {
        running = null;
        if (again) {
          again = false;
          schedule(0);
        } else schedule(pollMs);
      });
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      closing = false;
      schedule(0);
    },
    /** A raise or resend in this process: look now rather than at the next poll. */
    wake() {
      if (!stopped) schedule(0);
    },
    async stop() {
      stopped = true;
      closing = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
    /** One pass (tests and the CLI): deliver everything due now. */
    drain,
  };
}

export type WebhookWorker = ReturnType<typeof createWebhookWorker>;
