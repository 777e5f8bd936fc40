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
import type { Db } from '../../storage/database.js';
import { now } from '../crypto.js';

export const LOCK_AFTER_FAILURES = 10;

export interface LockAccount {
  id: number;
  tenantId: number;
}

/** A reserved try: its place in the run of failures, or refused because the account is locked. */
export type Reservation = { locked: true; lockedUntil: number } | { locked: false; place: number };

export function createLoginLock(db: Db, audit: Audit, lockMs: number) {
  const bump = (accountId: number, t: number) =>
    db
      .insertInto('login_locks')
      .values({ account_id: accountId, failures: 1, locked_until: null, updated_at: t })
      .onConflict((oc) => oc.column('account_id').doUpdateSet((eb) => ({ failures: eb('login_locks.failures', '+', 1), updated_at: t })))
      .returning(['failures', 'locked_until'])
      .executeTakeFirstOrThrow();

  async function reserve(account: LockAccount, clientAddress: string | null): Promise<Reservation> {
    let t = now();
    let row = await bump(account.id, t);
    const lockedUntil = row.locked_until == null ? null : Number(row.locked_until);
    if (lockedUntil !== null) {
      if (lockedUntil > t) return { locked: true, lockedUntil };
      // The lock has run out: one node lifts it (and records the unlock), then the count restarts.
      const lifted = await db
        .updateTable('login_locks')
        .set({ locked_until: null, failures: 0, updated_at: t })
        .where('account_id', '=', account.id)
        .where('locked_until', '=', lockedUntil)
        .executeTakeFirst();
      if (Number(lifted.numUpdatedRows) === 1) {
        await audit.record({ tenantId: account.tenantId, accountId: account.id, event: 'unlock', clientAddress, detail: { lockedUntil } });
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
    const row = await db.selectFrom('login_locks').select(['failures', 'locked_until']).where('account_id', '=', accountId).executeTakeFirst();
    const lockedUntil = row?.locked_until == null ? null : Number(row.locked_until);
    return { lockedUntil: lockedUntil !== null && lockedUntil > now() ? lockedUntil : null, failures: lockedUntil !== null && lockedUntil > now() ? 0 : Number(row?.failures ?? 0) };
  }

  /** An operator lifts the lock and ends the run of failures; answers whether the account was locked. */
  async function unlock(account: LockAccount, clientAddress: string | null, by: number | null): Promise<boolean> {
    const before = await state(account.id);
    await db.updateTable('login_locks').set({ locked_until: null, failures: 0, updated_at: now() }).where('account_id', '=', account.id).execute();
    if (before.lockedUntil !== null) {
      await audit.record({ tenantId: account.tenantId, accountId: account.id, event: 'unlock', clientAddress, detail: { lockedUntil: before.lockedUntil, by } });
    }
    return before.lockedUntil !== null;
  }

  /** Gives a reservation back (the request was malformed, not a guess). */
  async function release(accountId: number): Promise<void> {
    await db
      .updateTable('login_locks')
      .set((eb) => ({ failures: eb('failures', '-', 1) }))
      .where('account_id', '=', accountId)
      .where('failures', '>', 0)
      .execute();
  }

  /** The reserved try failed; answers the lock's end when it was the 10th and locked the account. */
  async function fail(account: LockAccount, place: number, clientAddress: string | null): Promise<number | null> {
    if (place < LOCK_AFTER_FAILURES) return null;
    const t = now();
    const lockedUntil = t + lockMs;
    await db.updateTable('login_locks').set({ locked_until: lockedUntil, failures: 0, updated_at: t }).where('account_id', '=', account.id).execute();
    await audit.record({ tenantId: account.tenantId, accountId: account.id, event: 'lock', clientAddress, detail: { failures: LOCK_AFTER_FAILURES, lockedUntil } });
    return lockedUntil;
  }

  /** A success ends the run of consecutive failures. */
  async function succeed(accountId: number): Promise<void> {
    await db.updateTable('login_locks').set({ failures: 0, updated_at: now() }).where('account_id', '=', accountId).where('locked_until', 'is', null).execute();
  }

  return { reserve, release, fail, succeed, state, unlock };
}
