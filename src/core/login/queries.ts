/**
 * The statements of an endlogin (and of v1's verify of an account's code), prepared once
 * (storage/statements.ts says why). An endlogin is two steps around the code check:
 *
 *   opening   claims one try of the preLoginToken, reserves the try's place in the account lock
 *             and reads the TOTP config the code is checked against;
 *   outcome   on success: moves the config's last step forward (the replay guard: of two uses of
 *             one step exactly one changes the row), spends the token, ends the run of failures,
 *             audits, remembers the first login. On failure: audits (lock.ts locks at the 10th).
 *
 * On PostgreSQL each step is one statement (CTEs), so one round trip; the rows it touches are
 * locked token first, then the account lock, in both, so two requests never wait on each other in
 * a circle. On SQLite the statements of a step run in one turn of the event loop with nothing
 * asynchronous between them, so group commit makes them one transaction with the others of that turn.
 */
import type { Statements } from '../../storage/statements.js';
import { type AuditDetail, type AuditEventName, auditDetailText } from '../audit/audit.js';
import { CLAIM_STEP_SQL, READ_TOTP_SQL, type StoredTotp } from '../twofactor/totp-configs.js';
import { BUMP_SQL, type BumpedLock } from './lock.js';

export interface ClaimedToken {
  account_id: number;
  step: string;
  /** Tries used, this one included. */
  attempts: number;
  may_trust_device: number;
  tenant_id: number;
  role: string;
  parent_tenant_id: number | null;
}

export interface Opening {
  token: ClaimedToken;
  /** The lock's row after this try's reservation (lock.settle reads it). */
  lock: BumpedLock;
  /** The account's TOTP config as the code is checked against it; null without one (or during setup). */
  config: StoredTotp | null;
}

export interface Outcome {
  accountId: number;
  tenantId: number;
  /** The TOTP step the code matched, moved to only forward; null when the code was not a TOTP code. */
  step: number | null;
  /** The preLoginToken spent by a success; null for v1's verify, which has none. */
  tokenHash: string | null;
  events: Array<{ event: AuditEventName; detail: AuditDetail }>;
  clientAddress: string | null;
  now: number;
}

const TOKEN_COLUMNS = 'account_id, step, attempts, may_trust_device, tenant_id, role, parent_tenant_id';
const AUDIT = 'insert into audit_events (tenant_id, account_id, event, client_address, detail, created_at)';

export function loginQueries(statements: Statements, dialect: 'sqlite' | 'postgres', maxAttempts: number) {
  const max = Number(maxAttempts);
  const claimTokenSql = `update pre_login_tokens set attempts = attempts + 1 where token_hash = ? and attempts < ${max} and expires_at > ? returning ${TOKEN_COLUMNS}`;
  const seen = statements.prepare<{ expires_at: number | string }>('select expires_at from pre_login_tokens where token_hash = ?');
  const giveBack = statements.prepare('update pre_login_tokens set attempts = attempts - 1 where token_hash = ?');
  const readConfig = statements.prepare<StoredTotp>(READ_TOTP_SQL);
  const audit = statements.prepare(`${AUDIT} values (?, ?, ?, ?, ?, ?)`);

  let open: (tokenHash: string, now: number) => Promise<Opening | null>;
  let succeed: (o: Outcome) => Promise<{ accepted: boolean; spent: boolean }>;

  if (dialect === 'postgres') {
    // The config is read in the same snapshot as the claim: a config changed meanwhile is caught
    // by the outcome's conditional last_step, and a new secret's codes are checked by the next try.
    const opening = statements.prepare<ClaimedToken & BumpedLock & { secret: string | null; last_step: string | null }>(
      `with t as (${claimTokenSql.replace('?', '$1').replace('?', '$2::bigint')}),
       l as (insert into login_locks (account_id, failures, locked_until, updated_at) select account_id, 1, null, $2::bigint from t
         on conflict (account_id) do update set failures = login_locks.failures + 1, updated_at = excluded.updated_at
         returning failures, locked_until)
       select t.*, l.failures, l.locked_until, c.secret, c.last_step
       from t cross join l left join twofactor_configs c on c.account_id = t.account_id and t.step = 'verify'`,
    );
    open = async (tokenHash, now) => {
      const row = await opening.get(tokenHash, now);
      if (!row) return null;
      const { failures, locked_until, secret, last_step, ...token } = row;
      return { token, lock: { failures, locked_until }, config: secret === null ? null : { secret, last_step } };
    };
    // The main query reads s and d, so the token is locked (d) before the account lock (k), as in the opening.
    const outcome = statements.prepare<{ accepted: boolean; spent: number }>(
      `with s as (update twofactor_configs set last_step = $1::bigint
           where $1::bigint is not null and account_id = $2 and (last_step is null or last_step < $1::bigint) returning account_id),
       ok as (select 1 where $1::bigint is null or exists (select 1 from s)),
       d as (delete from pre_login_tokens where token_hash = $3 and exists (select 1 from ok) returning account_id),
       k as (update login_locks set failures = 0, updated_at = $4::bigint where account_id = $2 and locked_until is null and exists (select 1 from ok)),
       f as (update accounts set first_login_at = $4::bigint where id = (select account_id from d) and first_login_at is null),
       a as (${AUDIT} select $5::integer, $2::integer, e->>'event', $6::text, e->>'detail', $4::bigint from jsonb_array_elements($7::jsonb) e where exists (select 1 from ok))
       select exists (select 1 from ok) as accepted, (select count(*) from d)::int as spent`,
    );
    succeed = async (o) => {
      const events = JSON.stringify(o.events.map((e) => ({ event: e.event, detail: auditDetailText(e.detail) })));
      const row = (await outcome.get(o.step, o.accountId, o.tokenHash, o.now, o.tenantId, o.clientAddress, events))!;
      return { accepted: row.accepted, spent: Number(row.spent) === 1 };
    };
  } else {
    const claimToken = statements.prepare<ClaimedToken>(claimTokenSql);
    const bump = statements.prepare<BumpedLock>(BUMP_SQL);
    const claimStep = statements.prepare(CLAIM_STEP_SQL);
    const spend = statements.prepare('delete from pre_login_tokens where token_hash = ?');
    const endRun = statements.prepare('update login_locks set failures = 0, updated_at = ? where account_id = ? and locked_until is null');
    const signedIn = statements.prepare('update accounts set first_login_at = ? where id = ? and first_login_at is null');
    // Nothing but these statements between them: they stay in one turn, so in one group commit.
    open = async (tokenHash, now) => {
      const token = await claimToken.get(tokenHash, now);
      if (!token) return null;
      const lock = (await bump.get(token.account_id, now))!;
      const config = token.step === 'verify' ? ((await readConfig.get(token.account_id)) ?? null) : null;
      return { token, lock, config };
    };
    succeed = async (o) => {
      if (o.step !== null && (await claimStep.run(o.step, o.accountId, o.step)) !== 1) return { accepted: false, spent: false };
      const spent = o.tokenHash !== null && (await spend.run(o.tokenHash)) === 1;
      await endRun.run(o.now, o.accountId);
      for (const e of o.events) await audit.run(o.tenantId, o.accountId, e.event, o.clientAddress, auditDetailText(e.detail), o.now);
      if (spent) await signedIn.run(o.now, o.accountId);
      return { accepted: true, spent };
    };
  }

  return {
    /** Claims a try of a live token with tries left; null when there is none (seen() says why). */
    open: (tokenHash: string, now: number) => open(tokenHash, now),
    /** The token's expiry, to tell an unknown token from a timed-out or exhausted one. */
    seen: async (tokenHash: string) => {
      const row = await seen.get(tokenHash);
      return row ? Number(row.expires_at) : null;
    },
    /** Gives a try back: the request was malformed, not a guess. */
    giveBack: (tokenHash: string) => giveBack.run(tokenHash),
    config: async (accountId: number) => (await readConfig.get(accountId)) ?? null,
    /**
     * A right code's writes. accepted is false (and nothing written) when its TOTP step was taken
     * meanwhile; spent says whether this success spent the token (of concurrent ones, one does).
     */
    succeed: (o: Outcome) => succeed(o),
    /** A wrong code's audit row. */
    failed: (o: Pick<Outcome, 'accountId' | 'tenantId' | 'clientAddress' | 'now'>, detail: AuditDetail) =>
      audit.run(o.tenantId, o.accountId, 'verify_failure', o.clientAddress, auditDetailText(detail), o.now),
  };
}

export type LoginQueries = ReturnType<typeof loginQueries>;
