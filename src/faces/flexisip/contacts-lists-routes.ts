/** Contacts Lists (Admin): a tenant's named groups of accounts, their members, and lists attached to accounts. */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ContactsList as List } from '../../core/sip-directory/contacts.js';
import { callerOf, security } from '../http/authenticate.js';
import { ADMIN, errors, tags, asAdmin } from './common.js';
import { AccountListParams, Done, ListContactParams, ListParams } from './directory-common.js';
import type { FlexisipRouteOptions } from './routes.js';

const ContactsList = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  description: Type.String(),
  contacts_count: Type.Integer(),
  created_at: Type.String(),
  updated_at: Type.String(),
});

const ListBody = Type.Object({ title: Type.Optional(Type.Unknown()), description: Type.Optional(Type.Unknown()) });

const listJson = (l: List) => ({
  id: l.id,
  title: l.title,
  description: l.description,
  contacts_count: l.contactsCount,
  created_at: new Date(l.createdAt).toISOString(),
  updated_at: new Date(l.updatedAt).toISOString(),
});

export const contactsListsRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const contacts = core.sipDirectory.contacts;
  const config = asAdmin;
  const base = { tags, security: security(ADMIN) };
  const done = async (work: Promise<void>) => {
    await work;
    return {};
  };

  app.get('/contacts_lists', { config, schema: { ...base, summary: 'Every contacts list (Admin)', response: { 200: Type.Array(ContactsList), ...errors } } }, async (req) =>
    (await contacts.lists(callerOf(req))).map(listJson),
  );
  app.get('/contacts_lists/:id', { config, schema: { ...base, summary: 'One contacts list (Admin)', params: ListParams, response: { 200: ContactsList, ...errors } } }, async (req) =>
    listJson(await contacts.list(callerOf(req), req.params.id)),
  );
  app.post('/contacts_lists', { config, schema: { ...base, summary: 'Create a contacts list: title and description required (Admin)', body: ListBody, response: { 201: ContactsList, ...errors } } }, async (req, reply) => {
    const created = await contacts.createList(callerOf(req), req.body);
    reply.status(201);
    return listJson(created);
  });
  app.put('/contacts_lists/:id', { config, schema: { ...base, summary: 'Replace a contacts list\'s title and description (Admin)', params: ListParams, body: ListBody, response: { 200: ContactsList, ...errors } } }, async (req) =>
    listJson(await contacts.updateList(callerOf(req), req.params.id, req.body)),
  );
  app.delete('/contacts_lists/:id', { config, schema: { ...base, summary: 'Delete a contacts list (Admin)', params: ListParams, response: { 200: Done, ...errors } } }, async (req) =>
    done(contacts.deleteList(callerOf(req), req.params.id)),
  );
  app.post('/contacts_lists/:id/contacts/:contact_id', { config, schema: { ...base, summary: 'Add an account to the list; 403 when it is in it (Admin)', params: ListContactParams, response: { 200: Done, ...errors } } }, async (req) =>
    done(contacts.addToList(callerOf(req), req.params.id, req.params.contact_id)),
  );
  app.delete('/contacts_lists/:id/contacts/:contact_id', { config, schema: { ...base, summary: 'Remove an account from the list; 403 when it is not in it (Admin)', params: ListContactParams, response: { 200: Done, ...errors } } }, async (req) =>
    done(contacts.removeFromList(callerOf(req), req.params.id, req.params.contact_id)),
  );
  app.post('/accounts/:id/contacts_lists/:contacts_list_id', { config, schema: { ...base, summary: 'Attach a contacts list to an account; 403 when attached (Admin)', params: AccountListParams, response: { 200: Done, ...errors } } }, async (req) =>
    done(contacts.attachList(callerOf(req), req.params.id, req.params.contacts_list_id)),
  );
  app.delete('/accounts/:id/contacts_lists/:contacts_list_id', { config, schema: { ...base, summary: 'Detach a contacts list from an account; 403 when not attached (Admin)', params: AccountListParams, response: { 200: Done, ...errors } } }, async (req) =>
    done(contacts.detachList(callerOf(req), req.params.id, req.params.contacts_list_id)),
  );
};
