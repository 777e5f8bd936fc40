/**
 * The statements of a send and a verify, prepared once (storage/statements.ts says why). Each one
 * is the SQL that Kysely would otherwise build on every request; the rest of the module uses Kysely.
 */
import type { Statements } from '../../storage/statements.js';
import type { VerificationTable } from './tables.js';

const RECIPIENT = 'tenant_id = ? and service = ? and "to" = ?';

export function verificationQueries(statements: Statements, maxAttempts: number) {
  const cancelPrevious = statements.prepare(`update verifications set status = 'canceled', updated_at = ? where ${RECIPIENT} and status = 'pending'`);
  const shortenPrevious = statements.prepare(`update verifications set expires_at = ?, updated_at = ? where ${RECIPIENT} and status = 'pending' and expires_at > ?`);
  const insert = statements.prepare(
    `insert into verifications (request_id, tenant_id, service, channel, "to", code_hash, status, attempts, expires_at, created_at, updated_at, delivery_status)
     values (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, 'pending')`,
  );
  const delivered = statements.prepare('update verifications set delivery_status = ?, provider = ?, provider_id = ?, delivery_error = ? where request_id = ?');
  const newest = statements.prepare<{ request_id: string }>(
    // The newest live code; when none is live, the newest of all says why (verified, expired…).
    `select request_id from verifications where ${RECIPIENT} order by case when status = 'pending' then 0 else 1 end, created_at desc, id desc limit 1`,
  );
  // The SET expressions read the row as it was: attempts here is the count before this attempt.
  const count = statements.prepare<{ attempts: number; status: string }>(
    `update verifications set attempts = attempts + 1, updated_at = ?,
       status = case when ? = 1 then 'verified' when attempts + 1 >= ${Number(maxAttempts)} then 'failed' else status end
     where request_id = ? and tenant_id = ? and status = 'pending' and attempts < ${Number(maxAttempts)} and expires_at > ?
     returning attempts, status`,
  );
  const state = statements.prepare<Pick<VerificationTable, 'code_hash' | 'status' | 'attempts' | 'expires_at'>>(
    'select code_hash, status, attempts, expires_at from verifications where request_id = ? and tenant_id = ?',
  );
  const event = 'insert into verification_events (request_id, tenant_id, type, detail, created_at) values ';
  const events = [1, 2].map((n) => statements.prepare(event + Array(n).fill('(?, ?, ?, ?, ?)').join(', ')));

  return {
    /** The previous live code for this recipient: canceled now, or alive for guardTime only. */
    retirePrevious(r: { tenantId: number; service: string; to: string }, now: number, guardUntil: number | null) {
      return guardUntil === null
        ? cancelPrevious.run(now, r.tenantId, r.service, r.to)
        : shortenPrevious.run(guardUntil, now, r.tenantId, r.service, r.to, guardUntil);
    },
    insert(v: { requestId: string; tenantId: number; service: string; channel: string; to: string; codeHash: string; expiresAt: number; now: number }) {
      return insert.run(v.requestId, v.tenantId, v.service, v.channel, v.to, v.codeHash, v.expiresAt, v.now, v.now);
    },
    delivered(requestId: string, r: { status: string; provider: string; providerId: string | null; error: string | null }) {
      return delivered.run(r.status, r.provider, r.providerId, r.error, requestId);
    },
    newest: (tenantId: number, service: string, to: string) => newest.get(tenantId, service, to),
    /**
     * Counts one attempt on a request that is still live, and ends it when the code was right
     * (verified) or this was the last attempt (failed). Nothing when it was no longer live.
     */
    count: (requestId: string, tenantId: number, now: number, right: boolean) => count.get(now, right ? 1 : 0, requestId, tenantId, now),
    state: (requestId: string, tenantId: number) => state.get(requestId, tenantId),
    record(requestId: string, tenantId: number, list: Array<{ type: string; detail: string | null }>, at: number) {
      if (list.length > events.length) throw new Error('at most two events are recorded at once');
      return events[list.length - 1]!.run(...list.flatMap((e) => [requestId, tenantId, e.type, e.detail, at]));
    },
  };
}
