/**
 * Contacts of SIP accounts: an account's own contacts, contacts lists (a tenant's named groups of
 * accounts) and the lists attached to an account. What an account sees as its contacts is its own
 * plus every attached list's, each account once. Adding what is there, or removing what is not,
 * answers forbidden, as the upstream project does.
 */
import { type Caller, reaches } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { now } from '../crypto.js';
import { forbidden, invalid, notFound } from '../errors.js';
import type { AccountGate, SipAccountRef } from './access.js';
import { splitSipAddress } from './access.js';

export interface ContactsList {
  id: number;
  tenantId: number;
  title: string;
  description: string;
  contactsCount: number;
  createdAt: number;
  updatedAt: number;
}

export interface ContactsListInput {
  title?: unknown;
  description?: unknown;
}

const requiredText = (field: string, value: unknown, max: number): string => {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(field, `The ${field} field is required.`);
  if (value.length > max) throw invalid(field, `The ${field} field must not be greater than ${max} characters.`);
  return value;
};

export type Contacts = ReturnType<typeof createContacts>;

export function createContacts({ db }: CoreDeps, gate: AccountGate) {
  /** Ids of an account's contacts: its own and its attached lists', once each. */
  async function contactIds(accountId: number): Promise<number[]> {
    const own = db.selectFrom('sip_contacts').select('contact_id').where('account_id', '=', accountId);
    const listed = db
      .selectFrom('sip_contacts_list_contacts')
      .innerJoin('sip_account_contacts_lists', 'sip_account_contacts_lists.contacts_list_id', 'sip_contacts_list_contacts.contacts_list_id')
      .select('sip_contacts_list_contacts.contact_id')
      .where('sip_account_contacts_lists.account_id', '=', accountId);
    const rows = await own.union(listed).execute();
    return rows.map((r) => Number(r.contact_id));
  }

  /** What the account itself sees (GET /accounts/me/contacts and the vCard). */
  const contactsOf = async (accountId: number): Promise<SipAccountRef[]> => gate.refs(await contactIds(accountId));

  async function contactOf(accountId: number, sip: string): Promise<SipAccountRef> {
    const address = splitSipAddress(sip);
    if (!address) throw notFound('contact');
    const found = (await contactsOf(accountId)).find((c) => c.username === address.username && c.domain === address.domain);
    if (!found) throw notFound('contact');
    return found;
  }

  async function ownIds(accountId: number): Promise<number[]> {
    const rows = await db.selectFrom('sip_contacts').select('contact_id').where('account_id', '=', accountId).execute();
    return rows.map((r) => Number(r.contact_id));
  }

  /** An admin's view of an account's own contacts (lists are managed apart). */
  async function ownContacts(caller: Caller, accountId: number): Promise<SipAccountRef[]> {
    await gate.manageable(caller, accountId);
    return gate.refs(await ownIds(accountId));
  }

  async function ownContact(caller: Caller, accountId: number, contactId: number): Promise<SipAccountRef> {
    const found = (await ownContacts(caller, accountId)).find((c) => c.id === contactId);
    if (!found) throw notFound('contact');
    return found;
  }

  async function addContact(caller: Caller, accountId: number, contactId: number): Promise<void> {
    await gate.manageable(caller, accountId);
    if ((await ownIds(accountId)).includes(contactId)) throw forbidden('already a contact of this account');
    await gate.manageable(caller, contactId);
    await db.insertInto('sip_contacts').values({ account_id: accountId, contact_id: contactId, created_at: now() }).execute();
  }

  async function removeContact(caller: Caller, accountId: number, contactId: number): Promise<void> {
    await gate.manageable(caller, accountId);
    if (!(await ownIds(accountId)).includes(contactId)) throw forbidden('not a contact of this account');
    await db.deleteFrom('sip_contacts').where('account_id', '=', accountId).where('contact_id', '=', contactId).execute();
  }

  const listQuery = () =>
    db
      .selectFrom('sip_contacts_lists as l')
      .innerJoin('tenants', 'tenants.id', 'l.tenant_id')
      .selectAll('l')
      .select('tenants.path as tenant_path')
      .select((eb) =>
        eb.selectFrom('sip_contacts_list_contacts as m').whereRef('m.contacts_list_id', '=', 'l.id').select((e) => e.fn.countAll<number>().as('n')).as('contacts_count'),
      );
  type ListRow = Awaited<ReturnType<ReturnType<typeof listQuery>['executeTakeFirstOrThrow']>>;
  const toList = (r: ListRow): ContactsList => ({
    id: Number(r.id),
    tenantId: Number(r.tenant_id),
    title: r.title,
    description: r.description,
    contactsCount: Number(r.contacts_count ?? 0),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  });

  async function lists(caller: Caller): Promise<ContactsList[]> {
    await gate.assertAdmin(caller);
    const rows = await listQuery().orderBy('l.id').execute();
    return rows.filter((r) => reaches(caller, r.tenant_path)).map(toList);
  }

  async function list(caller: Caller, id: number): Promise<ContactsList> {
    await gate.assertAdmin(caller);
    const row = await listQuery().where('l.id', '=', id).executeTakeFirst();
    if (!row || !reaches(caller, row.tenant_path)) throw notFound('contacts list');
    return toList(row);
  }

  async function createList(caller: Caller, input: ContactsListInput): Promise<ContactsList> {
    await gate.assertAdmin(caller);
    const title = requiredText('title', input.title, 255);
    const description = requiredText('description', input.description, 10_000);
    const t = now();
    const { id } = await db
      .insertInto('sip_contacts_lists')
      .values({ tenant_id: caller.tenantId, title, description, created_at: t, updated_at: t })
      .returning('id')
      .executeTakeFirstOrThrow();
    return list(caller, Number(id));
  }

  async function updateList(caller: Caller, id: number, input: ContactsListInput): Promise<ContactsList> {
    await list(caller, id);
    const title = requiredText('title', input.title, 255);
    const description = requiredText('description', input.description, 10_000);
    await db.updateTable('sip_contacts_lists').set({ title, description, updated_at: now() }).where('id', '=', id).execute();
    return list(caller, id);
  }

  async function deleteList(caller: Caller, id: number): Promise<void> {
    await list(caller, id);
    await db.deleteFrom('sip_contacts_lists').where('id', '=', id).execute();
  }

  async function memberIds(listId: number): Promise<number[]> {
    const rows = await db.selectFrom('sip_contacts_list_contacts').select('contact_id').where('contacts_list_id', '=', listId).execute();
    return rows.map((r) => Number(r.contact_id));
  }

  async function addToList(caller: Caller, listId: number, contactId: number): Promise<void> {
    await list(caller, listId);
    if ((await memberIds(listId)).includes(contactId)) throw forbidden('already in this contacts list');
    await gate.manageable(caller, contactId);
    await db.insertInto('sip_contacts_list_contacts').values({ contacts_list_id: listId, contact_id: contactId }).execute();
  }

  async function removeFromList(caller: Caller, listId: number, contactId: number): Promise<void> {
    await list(caller, listId);
    if (!(await memberIds(listId)).includes(contactId)) throw forbidden('not in this contacts list');
    await db.deleteFrom('sip_contacts_list_contacts').where('contacts_list_id', '=', listId).where('contact_id', '=', contactId).execute();
  }

  async function attachedListIds(accountId: number): Promise<number[]> {
    const rows = await db.selectFrom('sip_account_contacts_lists').select('contacts_list_id').where('account_id', '=', accountId).execute();
    return rows.map((r) => Number(r.contacts_list_id));
  }

  async function attachList(caller: Caller, accountId: number, listId: number): Promise<void> {
    await gate.manageable(caller, accountId);
    if ((await attachedListIds(accountId)).includes(listId)) throw forbidden('this contacts list is already attached to the account');
    await list(caller, listId);
    await db.insertInto('sip_account_contacts_lists').values({ account_id: accountId, contacts_list_id: listId }).execute();
  }

  async function detachList(caller: Caller, accountId: number, listId: number): Promise<void> {
    await gate.manageable(caller, accountId);
    if (!(await attachedListIds(accountId)).includes(listId)) throw forbidden('this contacts list is not attached to the account');
    await db.deleteFrom('sip_account_contacts_lists').where('account_id', '=', accountId).where('contacts_list_id', '=', listId).execute();
  }

  return {
    contactsOf, contactOf, ownContacts, ownContact, addContact, removeContact,
    lists, list, createList, updateList, deleteList, addToList, removeFromList, attachList, detachList,
  };
}
