/**
 * The statements of a send and a verify, prepared once (storage/statements.ts says why). Each one
 * is the SQL that Kysely would otherwise build on every request; the rest of the module uses Kysely.
 *
 * Each step of a request is one transaction. On SQLite the statements of a step run in one turn of
 * the event loop, so group commit puts them in one transaction. On PostgreSQL each step is one
 * statement, so one round trip: a send's opening is the function gh_send_open (migration 0011), and
 * a verify's count and the delivery of a send each carry their event row in a CTE.
 *
 * A send to the development outbox (Channel.local) delivers inside the opening: the outbox row is
 * written before the request's, so the request is inserted already delivered and its two events go
 * in one insert, with no later update, event and commit (on PostgreSQL, gh_send_to_outbox).
 */
import { takeOneSql } from '../../state/buckets-sql.js';
import type { BucketSpec } from '../../state/buckets.js';
import { DAY_MS } from '../growth/retention.js';
import { usageCountry } from './calling-code.js';
import type { Statements } from '../../storage/statements.js';
import { OUTBOX_INSERT } from '../outbox/outbox.js';
import type { VerificationTable } from './tables.js';

const RECIPIENT = 'tenant_id = ? and service = ? and "to" = ?';
/** The statements a generic plan was shown to get wrong (test/core/verifications-plans.test.ts). */
const EACH_CALL = { planEachCall: true };
/**
 * A request is found by its unique request_id, then checked to be the caller tenant's. Written as
 * `tenant_id + 0` the tenant test offers PostgreSQL no index: a generic plan made on empty tables
 * otherwise scanned verifications_tenant_created (every row of the tenant: 170–340 ms on 300k rows),
 * and planning each call instead halved a verify's throughput.
 */
const REQUEST = 'request_id = ? and tenant_id + 0 = ?';
const EVENT = 'insert into verification_events (request_id, tenant_id, type, detail, created_at)';

export interface Opening {
  requestId: string;
  tenantId: number;
  service: string;
  channel: string;
  to: string;
  codeHash: string;
  expiresAt: number;
  now: number;
  /** The previous live code stays alive until then (guardTime); null cancels it now. */
  guardUntil: number | null;
  /** A bucket to take a token from first (the default limit), or null. */
  bucket: BucketSpec | null;
  /** The detail of the 'created' event. */
  detail: string;
}

/** The message a send stores in the development outbox as its delivery (Channel.local). */
export interface OutboxDelivery {
  from: string | null;
  subject: string | null;
  body: string;
}
/** A send's delivery job, written with its request (core/queue): its key and sealed payload. */
export interface QueuedDelivery {
  key: string;
  payload: string | null;
}
/** How the request records a delivery to the outbox. */
const OUTBOX_DELIVERED = { status: 'delivered', provider: 'outbox', error: null, detail: 'outbox: delivered' } as const;

/** What a code's usage count is kept under, besides its tenant and number. */
type Counting = { created_at: number; channel: string };

/** A counted verify attempt: the row's attempts and status after it, and its channel. */
type Counted = { attempts: number; status: string; channel: string };

export function verificationQueries(statements: Statements, dialect: 'sqlite' | 'postgres', maxAttempts: number) {
  const max = Number(maxAttempts);
  // In both dialects' counting update, the SET expressions read the row as it was: attempts there is the
  // count before this attempt. The code's HMAC is compared in SQL: without the pepper, how many leading
  // characters of an HMAC matched tells nothing about the code, and only maxAttempts comparisons ever count.
  const newest = statements.prepare<{ request_id: string }>(
    // The newest live code; when none is live, the newest of all says why (verified, expired…).
    `select request_id from verifications where ${RECIPIENT} order by case when status = 'pending' then 0 else 1 end, created_at desc, id desc limit 1`,
    EACH_CALL,
  );
  const state = statements.prepare<Pick<VerificationTable, 'status' | 'attempts' | 'expires_at'>>(
    `select status, attempts, expires_at from verifications where ${REQUEST}`,
  );
  const events = [1, 2].map((n) => statements.prepare(`${EVENT} values ${Array(n).fill('(?, ?, ?, ?, ?)').join(', ')}`));
  const record = (requestId: string, tenantId: number, list: Array<{ type: string; detail: string | null }>, at: number) => {
    if (list.length > events.length) throw new Error('at most two events are recorded at once');
    return events[list.length - 1]!.run(...list.flatMap((e) => [requestId, tenantId, e.type, e.detail, at]));
  };
  const verifyDetail = `case when status = 'verified' then 'verified' when status = 'failed' then 'wrong code (' || attempts || '); request is dead' else 'wrong code (' || attempts || ')' end`;

  let open: (o: Opening, outbox?: OutboxDelivery, job?: QueuedDelivery) => Promise<boolean>;
  let count: (requestId: string, tenantId: number, now: number, hash: string) => Promise<Counted | undefined>;
  let cancel: (requestId: string, tenantId: number, now: number) => Promise<boolean>;

  if (dialect === 'postgres') {
    // The functions plan their own statements (migrations 0011 and 0012).
    const opening = statements.prepare<{ ok: boolean }>('select gh_send_open(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) as ok');
    const openingToOutbox = statements.prepare<{ ok: boolean }>('select gh_send_to_outbox(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) as ok');
    // Migration 0019: the request and its delivery job, one round trip.
    const openingQueued = statements.prepare<{ ok: boolean }>('select gh_send_queue(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) as ok');
    const counting = statements.prepare<Counted>(
      `with c as (update verifications set attempts = attempts + 1, updated_at = $1,
         status = case when code_hash = $2 then 'verified' when attempts + 1 >= ${max} then 'failed' else status end
         where request_id = $3 and tenant_id + 0 = $4 and status = 'pending' and attempts < ${max} and expires_at > $1
         returning attempts, status, channel),
       e as (${EVENT} select $3, $4, 'verify', ${verifyDetail}, $1 from c)
       select attempts, status, channel from c`,
    );
    count = (requestId, tenantId, now, hash) => counting.get(now, hash, requestId, tenantId);
    const canceling = statements.prepare(`update verifications set status = 'canceled', updated_at = ? where ${REQUEST} and status = 'pending'`);
    cancel = async (requestId, tenantId, now) => (await canceling.run(now, requestId, tenantId)) === 1;
    open = async (o, outbox, job) => {
      const params = [o.requestId, o.tenantId, o.service, o.channel, o.to, o.codeHash, o.expiresAt, o.now, o.guardUntil, o.bucket?.key ?? null, o.bucket?.max ?? null, o.bucket?.intervalMs ?? null, o.detail];
      const row = outbox
        ? await openingToOutbox.get(...params, outbox.from, outbox.subject, outbox.body)
        : job
          ? await openingQueued.get(...params, job.key, job.payload)
          : await opening.get(...params);
      return row!.ok;
    };
  } else {
    const take = statements.prepare(takeOneSql('sqlite'));
    // The recipient's live codes are looked up, then retired one by one: a write with RETURNING is run by
    // SQLite through a trigger of its own, which journals the statement at a cost that grows with the
    // database (32 µs against 5 at 5 million codes, bench/growth.ts), and a new number has no live code,
    // so a send usually writes nothing here at all. A code retired meanwhile by another request's write
    // changes nothing and is not counted twice.
    const livePrevious = statements.prepare<Counting & { id: number }>(`select id, created_at, channel from verifications where ${RECIPIENT} and status = 'pending'`);
    const retire = statements.prepare(`update verifications set status = 'canceled', updated_at = ? where id = ? and status = 'pending'`);
    const shortenPrevious = statements.prepare(`update verifications set expires_at = ?, updated_at = ? where ${RECIPIENT} and status = 'pending' and expires_at > ?`);
    const insert = statements.prepare(
      `insert into verifications (request_id, tenant_id, service, channel, "to", code_hash, status, attempts, expires_at, created_at, updated_at,
         delivery_status, provider, provider_id, delivery_error)
       values (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // Migrations 0029 and 0030: on SQLite no trigger on verifications keeps the roll-ups (any trigger made
    // SQLite journal each insert, and each update of a status, whose cost grew with the database: 48 µs
    // against 9 for a send's retiring update at 5 million rows). The statements that write a code or
    // change its status count it themselves, summed over their write group (statements.counter).
    const usage = statements.counter(
      `insert into usage_daily (tenant_id, day, channel, country, status, shard, "count") values (?, ?, ?, ?, ?, 0, ?)
       on conflict (tenant_id, day, channel, country, status, shard) do update set "count" = "count" + excluded."count"`,
    );
    const countOutboxTry = statements.counter(
      `insert into attempts_daily (tenant_id, day, channel, shard, "count") values (?, ?, ?, 0, ?)
       on conflict (tenant_id, day, channel, shard) do update set "count" = "count" + excluded."count"`,
    );
    const counted = (tenantId: number, createdAt: number, channel: string, to: string) =>
      [tenantId, Math.floor(Number(createdAt) / DAY_MS), channel, usageCountry(channel, to)] as const;
    /** A code's count moves from pending to its new status. */
    const move = async (tenantId: number, row: Counting, to: string, status: string) => {
      const key = counted(tenantId, row.created_at, row.channel, to);
      await usage.add(-1, ...key, 'pending');
      await usage.add(1, ...key, status);
    };
    const canceling = statements.prepare<Counting & { to: string }>(
      `update verifications set status = 'canceled', updated_at = ? where ${REQUEST} and status = 'pending' returning created_at, channel, "to"`,
    );
    cancel = async (requestId, tenantId, now) => {
      const row = await canceling.get(now, requestId, tenantId);
      if (row) await move(tenantId, row, row.to, 'canceled');
      return row !== undefined;
    };
    const storeMessage = statements.prepare(OUTBOX_INSERT);
    const enqueue = statements.prepare(
      "insert into delivery_jobs (key, kind, tenant_id, ref, state, run_at, payload, created_at, updated_at) values (?, 'code', ?, ?, 'queued', ?, ?, ?, ?)",
    );
    // Nothing but these statements between them: they stay in one turn, so in one group commit.
    open = async (o, outbox, job) => {
      if (o.bucket && (await take.run(o.bucket.key, o.bucket.max - 1, o.now, o.now + o.bucket.intervalMs)) !== 1) return false;
      if (o.guardUntil === null) {
        for (const live of await livePrevious.all(o.tenantId, o.service, o.to)) if ((await retire.run(o.now, live.id)) === 1) await move(o.tenantId, live, o.to, 'canceled');
      } else await shortenPrevious.run(o.guardUntil, o.now, o.tenantId, o.service, o.to, o.guardUntil);
      const created = { type: 'created', detail: o.detail };
      const row = [o.requestId, o.tenantId, o.service, o.channel, o.to, o.codeHash, o.expiresAt, o.now, o.now];
      if (!outbox) {
        await insert.run(...row, 'pending', null, null, null);
        await usage.add(1, ...counted(o.tenantId, o.now, o.channel, o.to), 'pending');
        await record(o.requestId, o.tenantId, [created], o.now);
        if (job) await enqueue.run(job.key, o.tenantId, o.requestId, o.now, job.payload, o.now, o.now);
        return true;
      }
      const message = await storeMessage.insert(o.tenantId, o.channel, o.to, outbox.from, outbox.subject, outbox.body, o.now);
      const d = OUTBOX_DELIVERED;
      await insert.run(...row, d.status, d.provider, String(message), d.error);
      await usage.add(1, ...counted(o.tenantId, o.now, o.channel, o.to), 'pending');
      await countOutboxTry.add(1, o.tenantId, Math.floor(o.now / DAY_MS), o.channel);
      await record(o.requestId, o.tenantId, [created, { type: 'delivery', detail: d.detail }], o.now);
      return true;
    };
    const counting = statements.prepare<Counted & Counting & { to: string }>(
      `update verifications set attempts = attempts + 1, updated_at = ?,
         status = case when code_hash = ? then 'verified' when attempts + 1 >= ${max} then 'failed' else status end
       where request_id = ? and tenant_id = ? and status = 'pending' and attempts < ${max} and expires_at > ?
       returning attempts, status, channel, created_at, "to"`,
    );
    count = async (requestId, tenantId, now, hash) => {
      const row = await counting.get(now, hash, requestId, tenantId, now);
      if (row) {
        if (row.status !== 'pending') await move(tenantId, row, row.to, row.status);
        const n = Number(row.attempts);
        const detail = row.status === 'verified' ? 'verified' : row.status === 'failed' ? `wrong code (${n}); request is dead` : `wrong code (${n})`;
        await record(requestId, tenantId, [{ type: 'verify', detail }], now);
      }
      return row;
    };
  }

  return {
    /**
     * A send's writes before delivery: the bucket's token, the previous live code retired, the new
     * one, its 'created' event; with `outbox`, its delivery too: the message stored in the outbox,
     * and the 'delivery' event; with `job`, its delivery job (core/queue), in the same transaction. False (and nothing written, nothing delivered) when the bucket was empty.
     */
    open: (o: Opening, outbox?: OutboxDelivery, job?: QueuedDelivery) => open(o, outbox, job),
    newest: (tenantId: number, service: string, to: string) => newest.get(tenantId, service, to),
    /**
     * Counts one attempt on a request that is still live (with its 'verify' event), and ends it when
     * the code's HMAC matched (verified) or this was the last attempt (failed). Nothing when it was
     * no longer live.
     */
    count: (requestId: string, tenantId: number, now: number, hash: string) => count(requestId, tenantId, now, hash),
    /** Cancels a live code (its usage count moves to canceled); false when it was not live. */
    cancel: (requestId: string, tenantId: number, now: number) => cancel(requestId, tenantId, now),
    state: (requestId: string, tenantId: number) => state.get(requestId, tenantId),
    record,
  };
}
