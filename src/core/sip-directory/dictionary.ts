/** An account's dictionary: free key → value entries an admin sets, returned with the account. */
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { invalid, notFound } from '../errors.js';
import type { AccountGate } from './access.js';

const KEY_MAX = 191;
const VALUE_MAX = 10_000;

export type Dictionary = ReturnType<typeof createDictionary>;

export function createDictionary({ db }: CoreDeps, gate: AccountGate) {
  async function entries(caller: Caller, accountId: number): Promise<Record<string, string>> {
    await gate.manageable(caller, accountId);
    const rows = await db.selectFrom('sip_dictionary').select(['key', 'value']).where('account_id', '=', accountId).orderBy('key').execute();
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** Sets one entry; true when the key was new. */
  async function set(caller: Caller, accountId: number, key: string, value: unknown): Promise<boolean> {
    await gate.manageable(caller, accountId);
    if (key === '' || key.length > KEY_MAX) throw invalid('key', `The key must be 1 to ${KEY_MAX} characters.`);
    if (value === undefined || value === null || value === '') throw invalid('value', 'The value field is required.');
    if (typeof value !== 'string') throw invalid('value', 'The value must be a string.');
    if (value.length > VALUE_MAX) throw invalid('value', `The value must not be greater than ${VALUE_MAX} characters.`);
    const existing = await db.selectFrom('sip_dictionary').select('key').where('account_id', '=', accountId).where('key', '=', key).executeTakeFirst();
    await db
      .insertInto('sip_dictionary')
      .values({ account_id: accountId, key, value })
      .onConflict((oc) => oc.columns(['account_id', 'key']).doUpdateSet({ value }))
      .execute();
    return existing === undefined;
  }

  async function remove(caller: Caller, accountId: number, key: string): Promise<void> {
    await gate.manageable(caller, accountId);
    const r = await db.deleteFrom('sip_dictionary').where('account_id', '=', accountId).where('key', '=', key).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw notFound('dictionary entry');
  }

  return { entries, set, remove };
}
