/**
 * The ends of an account's and a tenant's life, and passwords set by someone other than a sign-in:
 * an admin's password reset, a person's own password change (current password required), deleting
 * an account (its SIP username tombstoned, upstream's rule), deleting an empty tenant.
 *
 * A password set here goes through accounts.update, so it ends the account's JWTs, trusted devices
 * and sign-ins in progress as every password change does (core.ts). No caller means the operator (CLI).
 */
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { now } from '../crypto.js';
import { conflict, forbidden, invalid, notFound } from '../errors.js';
import { requireCapability } from '../roles.js';
import type { Tenants } from '../tenants/tenants.js';
import type { Account, Accounts } from './accounts.js';
import { verifyPassword } from './passwords.js';

export type Lifecycle = ReturnType<typeof createLifecycle>;

/** Wrong current passwords one account may send to a password change in CHANGE_WINDOW_MS: a stolen session is no password oracle. */
export const CHANGE_TRIES = 10;
const CHANGE_WINDOW_MS = 15 * 60_000;

export function createLifecycle({ db, dialect, state }: CoreDeps, accounts: Accounts, tenants: Tenants) {
  /** An admin's (or a tenant's, or a Flexisip admin's in its domain) reset: the new password, every session ended. */
  async function resetPassword(caller: Caller | null, id: number, password: string): Promise<Account> {
    if (password.length < 8) throw invalid('password', 'must be at least 8 characters');
    return accounts.update(caller, id, { password });
  }

  /**
   * A person's own change: the current password must match (a stolen session alone cannot take the
   * account). Every session of the account ends; the face re-issues the one that asked.
   */
  async function changeOwnPassword(caller: Caller, current: string, next: string): Promise<void> {
    if (caller.accountId === null) throw forbidden('only an account has a password');
    const row = await db.selectFrom('accounts').select(['id', 'password_hash']).where('id', '=', caller.accountId).executeTakeFirst();
    if (!row) throw notFound('account');
    const tries = `password-change:${caller.accountId}`;
    if ((await state.count(tries)) >= CHANGE_TRIES) throw forbidden('too many wrong passwords; try again in 15 minutes');
    if (!(await verifyPassword(row.password_hash, current))) {
      await state.increment(tries, CHANGE_WINDOW_MS);
      throw invalid('current', 'is not your current password');
    }
    if (next.length < 8) throw invalid('password', 'must be at least 8 characters');
    if (next === current) throw invalid('password', 'must differ from the current password');
    await accounts.update(null, caller.accountId, { password: next });
  }

  /**
   * Deletes an account and everything that hangs on it (keys, 2FA, devices: the foreign keys cascade).
   * An account in a SIP domain leaves a tombstone: its username is never given again there. Nobody
   * deletes their own account here (an operator would lock themselves out; a SIP user has its own
   * endpoint, sip.self).
   */
  async function deleteAccount(caller: Caller | null, id: number): Promise<Account> {
    const account = caller ? await accounts.get(caller, id, 'accounts.manage') : await accounts.find(id);
    if (!account) throw notFound('account');
    if (caller && caller.accountId === id) throw forbidden('an account cannot delete itself here; another admin can');
    await db.transaction().execute(async (tx) => {
      if (account.domain && account.username) {
        await tx
          .insertInto('sip_tombstones')
          .values({ domain: account.domain, username: account.username, created_at: now() })
          .onConflict((oc) => oc.columns(['domain', 'username']).doNothing())
          .execute();
      }
      await tx.deleteFrom('accounts').where('id', '=', id).execute();
    });
    return account;
  }

  /**
   * Deletes a tenant that has no accounts and no sub-tenants (its auth tokens, SIP domains, settings
   * and records go with it). Anything else is refused with what is left, so nothing is lost by
   * accident. The tenant row is locked first (PostgreSQL), so an account created meanwhile either
   * lands before the check (and refuses the delete) or waits and fails on the missing tenant.
   */
  async function deleteTenant(caller: Caller | null, ref: string | number) {
    if (caller) requireCapability(caller, 'tenants.manage');
    const tenant = caller ? await tenants.get(caller, ref) : await tenants.find(ref);
    if (!tenant) throw notFound('tenant');
    if (caller && caller.role !== 'admin' && caller.tenantId === tenant.id) throw forbidden('a tenant cannot delete itself; its parent can');
    await db.transaction().execute(async (tx) => {
      let lock = tx.selectFrom('tenants').select('id').where('id', '=', tenant.id);
      if (dialect === 'postgres') lock = lock.forUpdate();
      if (!(await lock.executeTakeFirst())) throw notFound('tenant');
      const [people, children] = await Promise.all([
        tx.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenant.id).executeTakeFirstOrThrow(),
        tx.selectFrom('tenants').select((eb) => eb.fn.countAll<number>().as('n')).where('parent_id', '=', tenant.id).executeTakeFirstOrThrow(),
      ]);
      const [a, c] = [Number(people.n), Number(children.n)];
      if (a || c) {
        const left = [a && `${a} account${a === 1 ? '' : 's'}`, c && `${c} sub-tenant${c === 1 ? '' : 's'}`].filter(Boolean).join(' and ');
        throw conflict(`tenant "${tenant.name}" still has ${left}: delete ${a && c ? 'them' : a ? 'the accounts' : 'the sub-tenants'} first`);
      }
      await tx.deleteFrom('tenants').where('id', '=', tenant.id).execute();
    });
    return tenant;
  }

  return { resetPassword, changeOwnPassword, deleteAccount, deleteTenant };
}
