/**
 * The account lock: 10 consecutive second-factor failures lock an account for 15 minutes
 * (GATEHOUSE_LOGIN_LOCK). The count lives in one row per account, changed only by single atomic
 * statements, so every node sharing the database counts the same failures and exactly one of
 * them locks the account (and audits it) when the 10th arrives.
 */
import type { Audit } from '../audit/audit.js';
import type { Db } from '../../storage/database.js';
import { now } from '../crypto.js';

export const LOCK_AFTER_FAILURES = 10;

export interface LockState {
  failures: number;
  lockedUntil: number | null;
}

export function createLoginLock(db: Db, audit: Audit, lockMs: number) {
  async function read(accountId: number): Promise<LockState> {
    const row = await db.selectFrom('login_locks').select(['failures', 'locked_until']).where('account_id', '=', accountId).executeTakeFirst();
    return { failures: row ? Number(row.failures) : 0, lockedUntil: row?.locked_until == null ? null : Number(row.locked_until) };
  }

  /**
   * True while the account is locked. A lock found expired is lifted here (one node wins the
   * conditional update and audits the unlock).
   */
  async function isLocked(account: { id: number; tenantId: number }, state: LockState, clientAddress: string | null): Promise<boolean> {
    if (state.lockedUntil === null) return false;
    if (state.lockedUntil > now()) return true;
    const lifted = await db
      .updateTable('login_locks')
      .set({ locked_until: null, failures: 0, updated_at: now() })
      .where('account_id', '=', account.id)
      .where('locked_until', '=', state.lockedUntil)
      .executeTakeFirst();
    if (Number(lifted.numUpdatedRows) === 1) {
      await audit.record({ tenantId: account.tenantId, accountId: account.id, event: 'unlock', clientAddress, detail: { lockedUntil: state.lockedUntil } });
    }
    return false;
  }

  /** Counts one failure; answers true when this failure locked the account. */
  async function fail(account: { id: number; tenantId: number }, clientAddress: string | null): Promise<boolean> {
    const t = now();
    const row = await db
      .insertInto('login_locks')
      .values({ account_id: account.id, failures: 1, locked_until: null, updated_at: t })
      .onConflict((oc) => oc.column('account_id').doUpdateSet((eb) => ({ failures: eb('login_locks.failures', '+', 1), updated_at: t })))
      .returning('failures')
      .executeTakeFirstOrThrow();
    if (Number(row.failures) < LOCK_AFTER_FAILURES) return false;
    const lockedUntil = t + lockMs;
    const locked = await db
      .updateTable('login_locks')
      .set({ locked_until: lockedUntil, failures: 0, updated_at: t })
      .where('account_id', '=', account.id)
      .where('failures', '>=', LOCK_AFTER_FAILURES)
      .executeTakeFirst();
    if (Number(locked.numUpdatedRows) === 1) {
      await audit.record({
        tenantId: account.tenantId,
        accountId: account.id,
        event: 'lock',
        clientAddress,
        detail: { failures: LOCK_AFTER_FAILURES, lockedUntil },
      });
    }
    return true;
  }

  /** A success ends the run of consecutive failures. */
  async function succeed(accountId: number, state: LockState): Promise<void> {
    if (state.failures === 0) return;
    await db.updateTable('login_locks').set({ failures: 0, updated_at: now() }).where('account_id', '=', accountId).execute();
  }

  return { read, isLocked, fail, succeed };
}
