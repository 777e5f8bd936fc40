/**
 * The account lock: 10 consecutive second-factor failures lock an account for 15 minutes
 * (GATEHOUSE_LOGIN_LOCK). The count lives in one row per account, changed only by single atomic
 * statements, so every node sharing the database counts together.
 *
 * Each code presented first reserves its place in the count (reserve), and only then is checked:
 * a success ends the run (succeed), a failure keeps its place. So concurrent guesses, on any number
 * of nodes, can never exceed 10 before the lock: the 11th reservation is refused unchecked. The one
 * failure that holds place 10 locks the account and records the lock, so it is recorded once.
 */
import type { Audit } from '../audit/audit.js';
import type { Events } from '../events/events.js';
import type { Statements } from '../../storage/statements.js';
import { now } from '../crypto.js';

export const LOCK_AFTER_FAILURES = 10;

export interface LockAccount {
  id: number;
  tenantId: number;
}

/** A reserved try: its place in the run of failures, or refused because the account is locked. */
export type Reservation = { locked: true; lockedUntil: number } | { locked: false; place: number };

/** The lock's row as one more try left it (PostgreSQL answers bigints as strings). */
export interface BumpedLock {
  failures: number | string;
  locked_until: number | string | null;
}

/** The upsert that counts one more try; the login's opening runs it inside its own statement on PostgreSQL. */
export const BUMP_SQL = `insert into login_locks (account_id, failures, locked_until, updated_at) values (?, 1, null, ?)
  on conflict (account_id) do update set failures = login_locks.failures + 1, updated_at = excluded.updated_at
  returning failures, locked_until`;

/**
 * Every statement is prepared once (storage/statements.ts): reserving and ending a try are on the
 * endlogin hot path. Audit events of a lock or an unlock are rare and go through audit.record.
 */
export function createLoginLock(statements: Statements, audit: Audit, lockMs: number, events?: Pick<Events, 'locked' | 'unlocked'>) {
  const bumpStatement = statements.prepare<BumpedLock>(BUMP_SQL);
  const bump = async (accountId: number, t: number) => (await bumpStatement.get(accountId, t))!;
  const lift = statements.prepare('update login_locks set locked_until = null, failures = 0, updated_at = ? where account_id = ? and locked_until = ?');
  const read = statements.prepare<BumpedLock>('select failures, locked_until from login_locks where account_id = ?');
  const clear = statements.prepare('update login_locks set locked_until = null, failures = 0, updated_at = ? where account_id = ?');
  const giveBack = statements.prepare('update login_locks set failures = failures - 1 where account_id = ? and failures > 0');
  const lockNow = statements.prepare('update login_locks set locked_until = ?, failures = 0, updated_at = ? where account_id = ?');
  const endRun = statements.prepare('update login_locks set failures = 0, updated_at = ? where account_id = ? and locked_until is null');

  async function reserve(account: LockAccount, clientAddress: string | null): Promise<Reservation> {
    const t = now();
    return settle(account, await bump(account.id, t), t, clientAddress);
  }

  /** The reservation a bump made at `t` stands for; lifts a lock that has run out and counts again. */
  async function settle(account: LockAccount, bumped: BumpedLock, t: number, clientAddress: string | null): Promise<Reservation> {
    let row = bumped;
    const lockedUntil = row.locked_until == null ? null : Number(row.locked_until);
    if (lockedUntil !== null) {
      if (lockedUntil > t) return { locked: true, lockedUntil };
      // The lock has run out: one node lifts it (and records the unlock), then the count restarts.
      if ((await lift.run(t, account.id, lockedUntil)) === 1) {
        await audit.record({ tenantId: account.tenantId, accountId: account.id, event: 'unlock', clientAddress, detail: { lockedUntil } });
        await events?.unlocked(account.tenantId, account.id, 'expired');
      }
      t = now();
      row = await bump(account.id, t);
      if (row.locked_until != null && Number(row.locked_until) > t) return { locked: true, lockedUntil: Number(row.locked_until) };
    }
    const place = Number(row.failures);
    if (place <= LOCK_AFTER_FAILURES) return { locked: false, place };
    // Refused unchecked: the failure in place 10 locks (or is locking) the account.
    return { locked: true, lockedUntil: (await state(account.id)).lockedUntil ?? t + lockMs };
  }

  /** The account's lock as it stands: until when it is locked (null when it is not) and the run of failures. */
  async function state(accountId: number): Promise<{ lockedUntil: number | null; failures: number }> {
    const row = await read.get(accountId);
    const lockedUntil = row?.locked_until == null ? null : Number(row.locked_until);
    return { lockedUntil: lockedUntil !== null && lockedUntil > now() ? lockedUntil : null, failures: lockedUntil !== null && lockedUntil > now() ? 0 : Number(row?.failures ?? 0) };
  }

  /** An operator lifts the lock and ends the run of failures; answers whether the account was locked. */
  async function unlock(account: LockAccount, clientAddress: string | null, by: number | null): Promise<boolean> {
    const before = await state(account.id);
    await clear.run(now(), account.id);
    if (before.lockedUntil !== null) {
      await audit.record({ tenantId: account.tenantId, accountId: account.id, event: 'unlock', clientAddress, detail: { lockedUntil: before.lockedUntil, by } });
      await events?.unlocked(account.tenantId, account.id, 'operator');
    }
    return before.lockedUntil !== null;
  }

  /** Gives a reservation back (the request was malformed, not a guess). */
  async function release(accountId: number): Promise<void> {
    await giveBack.run(accountId);
  }

  /** The reserved try failed; answers the lock's end when it was the 10th and locked the account. */
  async function fail(account: LockAccount, place: number, clientAddress: string | null): Promise<number | null> {
    if (place < LOCK_AFTER_FAILURES) return null;
    const t = now();
    const lockedUntil = t + lockMs;
    await lockNow.run(lockedUntil, t, account.id);
    await audit.record({ tenantId: account.tenantId, accountId: account.id, event: 'lock', clientAddress, detail: { failures: LOCK_AFTER_FAILURES, lockedUntil } });
    await events?.locked(account.tenantId, account.id, lockedUntil);
    return lockedUntil;
  }

  /** A success ends the run of consecutive failures. */
  async function succeed(accountId: number): Promise<void> {
    await endRun.run(now(), accountId);
  }

  return { reserve, settle, release, fail, succeed, state, unlock };
}
