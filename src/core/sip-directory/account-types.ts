/** Account types: a tenant's keys (`phone`, `door-bell`…) that its admins attach to SIP accounts. */
import { type Caller, reaches } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { now } from '../crypto.js';
import { forbidden, invalid, notFound } from '../errors.js';
import { isUniqueViolation } from '../../storage/errors.js';
import type { AccountGate } from './access.js';
import { checkKey } from './keys.js';

export interface AccountType {
  id: number;
  tenantId: number;
  key: string;
}

export type AccountTypes = ReturnType<typeof createAccountTypes>;

export function createAccountTypes({ db }: CoreDeps, gate: AccountGate) {
  const query = () =>
    db.selectFrom('sip_account_types as t').innerJoin('tenants', 'tenants.id', 't.tenant_id').select(['t.id', 't.tenant_id', 't.key', 'tenants.path']);
  const toType = (r: { id: number; tenant_id: number; key: string }): AccountType => ({ id: Number(r.id), tenantId: Number(r.tenant_id), key: r.key });

  async function list(caller: Caller): Promise<AccountType[]> {
    await gate.assertAdmin(caller);
    const rows = await query().orderBy('t.id').execute();
    return rows.filter((r) => reaches(caller, r.path)).map(toType);
  }

  async function get(caller: Caller, id: number): Promise<AccountType> {
    await gate.assertAdmin(caller);
    const row = await query().where('t.id', '=', id).executeTakeFirst();
    if (!row || !reaches(caller, row.path)) throw notFound('account type');
    return toType(row);
  }

  const taken = () => invalid('key', 'The key has already been taken.');

  async function create(caller: Caller, input: { key?: unknown }): Promise<AccountType> {
    await gate.assertAdmin(caller);
    const key = checkKey('key', input.key);
    const t = now();
    try {
      const row = await db
        .insertInto('sip_account_types')
        .values({ tenant_id: caller.tenantId, key, created_at: t, updated_at: t })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toType(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw taken();
      throw err;
    }
  }

  async function update(caller: Caller, id: number, input: { key?: unknown }): Promise<AccountType> {
    await get(caller, id);
    const key = checkKey('key', input.key);
    try {
      const row = await db.updateTable('sip_account_types').set({ key, updated_at: now() }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
      return toType(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw taken();
      throw err;
    }
  }

  async function remove(caller: Caller, id: number): Promise<void> {
    await get(caller, id);
    await db.deleteFrom('sip_account_types').where('id', '=', id).execute();
  }

  /** The type keys of several accounts, for their JSON and their vCards. */
  async function ofAccounts(ids: number[]): Promise<{ accountId: number; type: AccountType }[]> {
    if (ids.length === 0) return [];
    const rows = await db
      .selectFrom('sip_account_account_types as a')
      .innerJoin('sip_account_types as t', 't.id', 'a.account_type_id')
      .select(['a.account_id', 't.id', 't.tenant_id', 't.key'])
      .where('a.account_id', 'in', ids)
      .orderBy('t.id')
      .execute();
    return rows.map((r) => ({ accountId: Number(r.account_id), type: toType(r) }));
  }

  async function attachedIds(accountId: number): Promise<number[]> {
    return (await ofAccounts([accountId])).map((r) => r.type.id);
  }

  async function attach(caller: Caller, accountId: number, typeId: number): Promise<void> {
    await gate.manageable(caller, accountId);
    if ((await attachedIds(accountId)).includes(typeId)) throw forbidden('the account already has this type');
    await get(caller, typeId);
    await db.insertInto('sip_account_account_types').values({ account_id: accountId, account_type_id: typeId }).execute();
  }

  async function detach(caller: Caller, accountId: number, typeId: number): Promise<void> {
    await gate.manageable(caller, accountId);
    if (!(await attachedIds(accountId)).includes(typeId)) throw forbidden('the account does not have this type');
    await db.deleteFrom('sip_account_account_types').where('account_id', '=', accountId).where('account_type_id', '=', typeId).execute();
  }

  return { list, get, create, update, remove, ofAccounts, attach, detach };
}
