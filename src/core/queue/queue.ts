/**
 * The delivery queue: durable jobs in the database, delivered by workers in every Gatehouse process.
 *
 * Shaped after what pg-boss, graphile-worker and Ory Kratos' courier share, kept small and our own
 * (none of them serves SQLite): a job row is written in the same transaction as what caused it; a
 * worker claims due jobs by moving them to 'running' with a lease (on PostgreSQL with
 * `FOR UPDATE SKIP LOCKED`, so processes never claim the same row; on SQLite the one process claims);
 * a running job's run_at is its lease's end, so a job whose worker died is simply due again. Each
 * claim adds one to `claims`, and a worker's result is written only while `claims` is still its own
 * (a fencing token): a worker that outlived its lease changes nothing.
 *
 * At least once: a worker that called the provider and died before recording it leaves a job that is
 * delivered again. Everything else is exactly once.
 *
 * Handlers are registered per kind ('code' for one-time codes, 'webhook' for tenant events); what a
 * handler answers (Outcome) decides the job's next state. The payload is sealed at rest (it may hold a
 * code) and cleared when the job ends.
 */
import type { Kysely, Transaction } from 'kysely';
import type { DeliveryConfig } from '../../config.js';
import type { Database } from '../../storage/database.js';
import type { Param } from '../../storage/statements.js';
import type { CoreDeps } from '../context.js';
import { backoffMs } from './backoff.js';

/** What a handler answers for one claimed job. */
export type Outcome =
  /**
   * Delivered (the provider answered 2xx): the job is done and its payload cleared. `ended`: the
   * handler wrote that end itself, in its own statement (JOB_DONE, fenced by job.claims), and says
   * whether its claim still held; the queue writes nothing more.
   */
  | { type: 'ok'; ended?: boolean }
  /**
   * Try again later: after retryAfterMs when the provider said (Retry-After), else exponential
   * backoff with jitter. After the handler's maxAttempts the job fails instead.
   */
  | { type: 'retry'; error: string; retryAfterMs?: number | null }
  /** Refused for good (an invalid number, an SMTP 5xx): the job fails, with this error. */
  | { type: 'permanent'; error: string }
  /** Nothing to deliver any more (the code was verified, canceled or expired). */
  | { type: 'cancel'; reason: string }
  /** On to the next stage (a fallback channel) at once; its attempts count from one again. */
  | { type: 'next'; error?: string | null }
  /** Claim again after ms, in the same stage and attempt, carrying note (a delivery report awaited). */
  | { type: 'wait'; ms: number; note: string | null };

/** A claimed job, as its handler sees it. */
export interface ClaimedJob {
  id: number;
  kind: string;
  key: string;
  ref: string;
  tenantId: number | null;
  /** The payload as enqueued (opened); null once cleared. */
  payload: string | null;
  /** This claim's try in the current stage: 1 for the first. */
  attempt: number;
  stage: number;
  note: string | null;
  createdAt: number;
  /** This claim's number: what a handler's own JOB_DONE is fenced by. */
  claims: number;
  /** The value of the handler's `peek`, read by the claim itself (PostgreSQL); undefined when not read. */
  peek?: string | null;
}

export interface Handler {
  handle(job: ClaimedJob): Promise<Outcome>;
  /** Tries of one stage before a 'retry' becomes a failure; the setting GATEHOUSE_DELIVERY_ATTEMPTS by default. */
  maxAttempts?: number;
  /** Told once when a job ends (done, failed or canceled), after its row says so; errors are ignored. */
  ended?(job: ClaimedJob, state: 'done' | 'failed' | 'canceled', error: string | null): Promise<void> | void;
  /**
   * A scalar SQL expression over the claimed row `j` (j.ref, j.tenant_id, …) that the claim returns
   * as job.peek, on PostgreSQL: what the handler reads first comes with the claim, one round trip
   * less a job. On SQLite (in process, no round trip) it is not read and job.peek is undefined.
   */
  peek?: string;
}

export interface NewJob {
  kind: string;
  /** What the job is about (a request ID, an event delivery ID): with kind, the job's unique key. */
  ref: string;
  tenantId: number | null;
  /** Clear text; sealed before it is written. */
  payload: string | null;
  /** When it is first due; now by default. */
  runAt?: number;
}

export interface QueueStats {
  /** Jobs queued or running. */
  depth: number;
  running: number;
  /** Age of the oldest job queued or running, in ms; 0 when none. */
  oldestAgeMs: number;
}

export const jobKey = (kind: string, ref: string) => `${kind}:${ref}`;
/** The sealing context of a job's payload (sealed-columns.ts re-seals it with the same). */
export const payloadContext = (key: string) => `delivery_job:${key}`;

/**
 * A job's end as done, for a handler that writes it in its own statement (one round trip with its
 * record of the attempt): parameters run_at and updated_at (now), id, claims.
 */
export const JOB_DONE = "update delivery_jobs set state = 'done', run_at = ?, note = null, last_error = null, payload = null, updated_at = ? where id = ? and claims = ?";

const COLUMNS = 'id, kind, key, ref, tenant_id, payload, attempts, stage, note, claims, created_at';
const DUE = "state in ('queued', 'running') and run_at <= ?";
const INSERT = 'insert into delivery_jobs (key, kind, tenant_id, ref, state, run_at, payload, created_at, updated_at)';

type Row = { id: number; kind: string; key: string; ref: string; tenant_id: number | null; payload: string | null; attempts: number; stage: number; note: string | null; claims: number; created_at: number; peek?: string | null };

export type Queue = ReturnType<typeof createQueue>;

export function createQueue({ db, dialect, statements, sealer, config }: CoreDeps, settings: DeliveryConfig = config.delivery) {
  const handlers = new Map<string, Handler>();

  const insert = statements.prepare(`${INSERT} values (?, ?, ?, ?, 'queued', ?, ?, ?, ?) on conflict (key) do nothing`);
  // Prepared when first used, after the handlers registered: on PostgreSQL it returns their peeks.
  let claimStatement: ReturnType<typeof statements.prepare<Row>> | null = null;
  const claiming = () => (claimStatement ??= statements.prepare<Row>(claimSql()));
  function claimSql(): string {
    if (dialect !== 'postgres') {
      return `update delivery_jobs set state = 'running', run_at = ?, claims = claims + 1, attempts = attempts + 1, updated_at = ?
         where id in (select id from delivery_jobs where ${DUE} order by run_at limit ?) returning ${COLUMNS}`;
    }
    const peeks = [...handlers].filter(([, h]) => h.peek).map(([kind, h]) => `when '${kind.replace(/'/g, "''")}' then (${h.peek})`);
    return `update delivery_jobs j set state = 'running', run_at = $1, claims = j.claims + 1, attempts = j.attempts + 1, updated_at = $2
         from (select id from delivery_jobs where state in ('queued', 'running') and run_at <= $2 order by run_at limit $3 for update skip locked) c
         where j.id = c.id returning ${COLUMNS.split(', ').map((c) => `j.${c}`).join(', ')}${peeks.length ? `, case j.kind ${peeks.join(' ')} end as peek` : ''}`;
  }
  const finishing = statements.prepare(
    `update delivery_jobs set state = ?, run_at = ?, attempts = ?, stage = ?, note = ?, last_error = ?,
       payload = case when ? = 1 then null else payload end, updated_at = ?
     where id = ? and claims = ?`,
  );
  const statsQuery = statements.prepare<{ depth: number; running: number; oldest: number | null }>(
    `select count(*) as depth, coalesce(sum(case when state = 'running' then 1 else 0 end), 0) as running, min(created_at) as oldest
     from delivery_jobs where state in ('queued', 'running')`,
  );

  function sealed(job: NewJob) {
    const key = jobKey(job.kind, job.ref);
    return { key, payload: job.payload === null ? null : sealer.seal(job.payload, payloadContext(key)) };
  }

  function row(job: NewJob, now: number): Param[] {
    const { key, payload } = sealed(job);
    return [key, job.kind, job.tenantId, job.ref, job.runAt ?? now, payload, now, now];
  }

  // ---- workers -------------------------------------------------------------------------------
  let started = false;
  let stopping = false;
  let pumping = false;
  let again = false;
  let inflight = 0;
  let poller: NodeJS.Timeout | null = null;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  const idle: Array<() => void> = [];

  function wake(): void {
    if (!started || stopping) return;
    if (pumping) {
      again = true;
      return;
    }
    setImmediate(pump);
  }

  /** A wake-up at a time (a retry due in this process), so it does not wait for the next poll. */
  function wakeAt(at: number): void {
    const ms = at - Date.now();
    if (ms > settings.pollMs) return;
    const t = setTimeout(() => {
      timers.delete(t);
      wake();
    }, Math.max(0, ms));
    t.unref();
    timers.add(t);
  }

  async function pump(): Promise<void> {
    if (!started || stopping || pumping) return;
    pumping = true;
    try {
      do {
        again = false;
        while (!stopping && inflight < settings.concurrency) {
          const now = Date.now();
          let jobs: Row[];
          try {
            const limit = settings.concurrency - inflight;
            jobs = await (dialect === 'postgres' ? claiming().all(now + settings.leaseMs, now, limit) : claiming().all(now + settings.leaseMs, now, now, limit));
          } catch {
            // The database is away (a restart, a full pool): the next poll tries again.
            break;
          }
          if (jobs.length === 0) break;
          for (const j of jobs) {
            inflight++;
            const p = run(j).finally(() => {
              inflight--;
              running.delete(p);
              if (inflight === 0) for (const f of idle.splice(0)) f();
              wake();
            });
            running.add(p);
          }
        }
      } while (again && !stopping);
    } finally {
      pumping = false;
    }
  }

  async function run(r: Row): Promise<void> {
    const handler = handlers.get(r.kind);
    let payload: string | null = null;
    let outcome: Outcome;
    const job: ClaimedJob = {
      id: Number(r.id),
      kind: r.kind,
      key: r.key,
      ref: r.ref,
      tenantId: r.tenant_id === null ? null : Number(r.tenant_id),
      payload: null,
      attempt: Number(r.attempts),
      stage: Number(r.stage),
      note: r.note,
      createdAt: Number(r.created_at),
      claims: Number(r.claims),
      ...(handler?.peek && r.peek !== undefined && { peek: r.peek }),
    };
    try {
      if (!handler) throw new Error(`no handler for delivery jobs of kind ${r.kind}`);
      payload = r.payload === null ? null : sealer.open(r.payload, payloadContext(r.key));
      outcome = await handler.handle({ ...job, payload });
    } catch (err) {
      // A handler's own bug, or a payload that no longer opens: tried again, then failed, never lost silently.
      outcome = { type: 'retry', error: `unexpected: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300) };
    }
    const max = handler?.maxAttempts ?? settings.attempts;
    if (outcome.type === 'retry' && job.attempt >= max) outcome = { type: 'permanent', error: `gave up after ${job.attempt} attempts: ${outcome.error}` };
    const now = Date.now();
    let state: 'queued' | 'done' | 'failed' | 'canceled';
    let runAt = now;
    let attempts = job.attempt;
    let stage = job.stage;
    let note: string | null = null;
    let error: string | null = null;
    switch (outcome.type) {
      case 'ok':
        state = 'done';
        break;
      case 'permanent':
        state = 'failed';
        error = outcome.error;
        break;
      case 'cancel':
        state = 'canceled';
        error = outcome.reason;
        break;
      case 'retry':
        state = 'queued';
        error = outcome.error;
        runAt = now + (outcome.retryAfterMs != null ? Math.min(outcome.retryAfterMs, 3_600_000) : backoffMs(job.attempt, settings.backoffMs, settings.backoffMaxMs));
        break;
      case 'next':
        state = 'queued';
        error = outcome.error ?? null;
        stage += 1;
        attempts = 0;
        break;
      case 'wait':
        state = 'queued';
        runAt = now + outcome.ms;
        // The same try again: the next claim adds one back.
        attempts = job.attempt - 1;
        note = outcome.note;
        break;
    }
    const ends = state !== 'queued';
    let written = 0;
    try {
      if (outcome.type === 'ok' && outcome.ended !== undefined) written = outcome.ended ? 1 : 0;
      else written = await finishing.run(state, runAt, attempts, stage, note, error?.slice(0, 500) ?? null, ends ? 1 : 0, now, job.id, Number(r.claims));
    } catch {
      // Not recorded: the lease runs out and the job is claimed again (at least once).
      return;
    }
    if (written === 0) return; // Another worker claimed it after our lease ran out: its result counts.
    if (ends) {
      try {
        await handler?.ended?.({ ...job, payload }, state as 'done' | 'failed' | 'canceled', error);
      } catch {
        // A hook's failure does not undo a finished delivery.
      }
    } else {
      wakeAt(runAt);
    }
  }

  return {
    /** Registers the handler of a kind of job; one per kind. */
    register(kind: string, handler: Handler): void {
      if (handlers.has(kind)) throw new Error(`a handler for ${kind} jobs is already registered`);
      handlers.set(kind, handler);
      claimStatement = null;
    },

    /**
     * Writes a job with a prepared statement. On SQLite, called in the same turn of the event loop as
     * the caller's other prepared writes, it joins their group commit (one transaction); on PostgreSQL
     * it is a round trip of its own. False when a job with the same kind and ref exists already.
     * Workers of this process are woken once it is committed.
     */
    async enqueue(job: NewJob): Promise<boolean> {
      const added = (await insert.run(...row(job, Date.now()))) === 1;
      if (added) wakeWhenDurable();
      return added;
    },

    /**
     * Writes a job inside the caller's Kysely transaction (or with db): committed or rolled back with
     * it. Call wake() after the commit so this process's workers start at once (others poll).
     */
    async enqueueIn(trx: Transaction<Database> | Kysely<Database>, job: NewJob): Promise<boolean> {
      const now = Date.now();
      const { key, payload } = sealed(job);
      const r = await trx
        .insertInto('delivery_jobs')
        .values({ key, kind: job.kind, tenant_id: job.tenantId, ref: job.ref, state: 'queued', run_at: job.runAt ?? now, payload, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('key').doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    /** The key and sealed payload of a job, for a caller that writes the row with its own SQL (gh_send_queue). */
    sealed,

    /** Starts this process's workers at once (after an enqueue whose commit the caller awaited). */
    wake: wakeWhenDurable,

    /**
     * Moves a queued job of this key to now (a delivery report arrived, an admin asked to resend) and
     * wakes the workers. True when a job was moved.
     */
    async hurry(key: string, note?: string): Promise<boolean> {
      let q = db.updateTable('delivery_jobs').set({ run_at: Date.now(), updated_at: Date.now() }).where('key', '=', key).where('state', '=', 'queued');
      if (note !== undefined) q = q.where('note', '=', note);
      const r = await q.executeTakeFirst();
      const moved = Number(r.numUpdatedRows) > 0;
      if (moved) wake();
      return moved;
    },

    /** Starts the workers (a server does; a CLI command does not). */
    async start(): Promise<void> {
      if (started) return;
      started = true;
      stopping = false;
      if (dialect === 'sqlite') {
        // The one process that delivers on SQLite: whatever was running when it stopped is due now.
        await db.updateTable('delivery_jobs').set({ state: 'queued', run_at: Date.now() }).where('state', '=', 'running').execute();
      }
      poller = setInterval(wake, settings.pollMs);
      poller.unref();
      wake();
    },

    /** Stops claiming and waits for the deliveries in flight to be recorded. */
    async stop(): Promise<void> {
      stopping = true;
      if (poller) clearInterval(poller);
      poller = null;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...running]);
      started = false;
    },

    /** Resolves when this process has no delivery in flight (tests; a drain is "stats().depth === 0"). */
    idle(): Promise<void> {
      if (inflight === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },

    async stats(): Promise<QueueStats> {
      const r = await statsQuery.get();
      const oldest = r?.oldest === null || r?.oldest === undefined ? null : Number(r.oldest);
      return { depth: Number(r?.depth ?? 0), running: Number(r?.running ?? 0), oldestAgeMs: oldest === null ? 0 : Math.max(0, Date.now() - oldest) };
    },
  };

  function wakeWhenDurable(): void {
    const durable = statements.durable();
    if (durable) durable.then(wake, () => {});
    else wake();
  }
}
