/** The SIP directory in one object: who an account knows, with their types and DTMF actions. */
import type { CoreDeps } from '../context.js';
import { type SipAccountRef, createAccountGate } from './access.js';
import { createAccountTypes } from './account-types.js';
import { createActions } from './actions.js';
import { createContacts } from './contacts.js';
import { createDictionary } from './dictionary.js';
import { type VcardContact, toVcard, toVcards } from './vcard.js';

export type SipDirectory = ReturnType<typeof createSipDirectory>;

export function createSipDirectory(deps: CoreDeps) {
  const gate = createAccountGate(deps);
  const contacts = createContacts(deps, gate);
  const actions = createActions(deps, gate);
  const accountTypes = createAccountTypes(deps, gate);
  const dictionary = createDictionary(deps, gate);

  async function cards(refs: SipAccountRef[]): Promise<VcardContact[]> {
    const ids = refs.map((r) => r.id);
    const [types, acts] = await Promise.all([accountTypes.ofAccounts(ids), actions.ofAccounts(ids)]);
    return refs.map((r) => ({
      identifier: `${r.username}@${r.domain}`,
      displayName: r.displayName,
      dtmfProtocol: r.dtmfProtocol,
      types: types.filter((t) => t.accountId === r.id).map((t) => t.type.key),
      actions: acts.filter((a) => a.accountId === r.id).map(({ key, code }) => ({ key, code })),
    }));
  }

  /** GET /contacts/vcard: every contact of the account as vCard 4.0. */
  const vcardsOf = async (accountId: number) => toVcards(await cards(await contacts.contactsOf(accountId)));
  /** GET /contacts/vcard/{sip}: one contact of the account. */
  const vcardOf = async (accountId: number, sip: string) => toVcard((await cards([await contacts.contactOf(accountId, sip)]))[0]!);

  return { gate, contacts, actions, accountTypes, dictionary, vcardsOf, vcardOf };
}
