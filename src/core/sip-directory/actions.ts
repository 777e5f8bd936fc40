/**
 * DTMF actions of a SIP account (a key and the code to send, e.g. a door opener). They only make sense
 * once the account has a DTMF protocol: every function answers forbidden before that.
 */
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { now } from '../crypto.js';
import { forbidden, notFound } from '../errors.js';
import type { AccountGate } from './access.js';
import { checkCode, checkKey } from './keys.js';

export interface AccountAction {
  id: number;
  accountId: number;
  key: string;
  code: string;
}

export type Actions = ReturnType<typeof createActions>;

export function createActions({ db }: CoreDeps, gate: AccountGate) {
  async function withProtocol(caller: Caller, accountId: number) {
    const account = await gate.manageable(caller, accountId);
    if (!account.dtmfProtocol) throw forbidden('DTMF Protocol must be configured');
    return account;
  }

  const toAction = (r: { id: number; account_id: number; key: string; code: string }): AccountAction => ({
    id: Number(r.id),
    accountId: Number(r.account_id),
    key: r.key,
    code: r.code,
  });

  /** The actions of several accounts at once, for the vCards (no reach check: the caller sees them as contacts). */
  async function ofAccounts(ids: number[]): Promise<AccountAction[]> {
    if (ids.length === 0) return [];
    const rows = await db.selectFrom('sip_account_actions').selectAll().where('account_id', 'in', ids).orderBy('id').execute();
    return rows.map(toAction);
  }

  async function list(caller: Caller, accountId: number): Promise<AccountAction[]> {
    await withProtocol(caller, accountId);
    return ofAccounts([accountId]);
  }

  async function get(caller: Caller, accountId: number, actionId: number): Promise<AccountAction> {
    await withProtocol(caller, accountId);
    const row = await db.selectFrom('sip_account_actions').selectAll().where('account_id', '=', accountId).where('id', '=', actionId).executeTakeFirst();
    if (!row) throw notFound('action');
    return toAction(row);
  }

  async function create(caller: Caller, accountId: number, input: { key?: unknown; code?: unknown }): Promise<AccountAction> {
    await withProtocol(caller, accountId);
    const key = checkKey('key', input.key);
    const code = checkCode('code', input.code);
    const t = now();
    const row = await db
      .insertInto('sip_account_actions')
      .values({ account_id: accountId, key, code, created_at: t, updated_at: t })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAction(row);
  }

  async function update(caller: Caller, accountId: number, actionId: number, input: { key?: unknown; code?: unknown }): Promise<AccountAction> {
    await get(caller, accountId, actionId);
    const key = checkKey('key', input.key);
    const code = checkCode('code', input.code);
    const row = await db
      .updateTable('sip_account_actions')
      .set({ key, code, updated_at: now() })
      .where('id', '=', actionId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAction(row);
  }

  async function remove(caller: Caller, accountId: number, actionId: number): Promise<void> {
    await get(caller, accountId, actionId);
    await db.deleteFrom('sip_account_actions').where('id', '=', actionId).execute();
  }

  return { list, get, create, update, remove, ofAccounts };
}
