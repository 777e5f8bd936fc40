/** Account contacts (User) and Contacts (Admin): an account's contacts, its own and its lists'. */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { callerOf, security } from '../http/authenticate.js';
import { ADMIN, IdParams, USER, errors, tags, asAdmin, asUser } from './common.js';
import { AccountContactParams, Contact, Done, SipParams, contactJson } from './directory-common.js';
import type { FlexisipRouteOptions } from './routes.js';

export const contactsRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const contacts = core.sipDirectory.contacts;
  const self = core.flexisip.access.selfOf;
  const user = { config: asUser('accounts.read'), base: { tags, security: security(USER) } };
  const admin = { config: asAdmin, base: { tags, security: security(ADMIN) } };

  app.get('/accounts/me/contacts', { config: user.config, schema: { ...user.base, summary: 'The account\'s contacts, its own and its lists\' (User)', response: { 200: Type.Array(Contact), ...errors } } }, async (req) =>
    (await contacts.contactsOf(self(callerOf(req)))).map(contactJson),
  );

  app.get(
    '/accounts/me/contacts/:sip',
    { config: user.config, schema: { ...user.base, summary: 'One contact by SIP address (User)', params: SipParams, response: { 200: Contact, ...errors } } },
    async (req) => contactJson(await contacts.contactOf(self(callerOf(req)), req.params.sip)),
  );

  app.get('/accounts/:id/contacts', { config: admin.config, schema: { ...admin.base, summary: 'The account\'s own contacts (Admin)', params: IdParams, response: { 200: Type.Array(Contact), ...errors } } }, async (req) =>
    (await contacts.ownContacts(callerOf(req), req.params.id)).map(contactJson),
  );

  app.get(
    '/accounts/:id/contacts/:contact_id',
    { config: admin.config, schema: { ...admin.base, summary: 'One of the account\'s own contacts (Admin)', params: AccountContactParams, response: { 200: Contact, ...errors } } },
    async (req) => contactJson(await contacts.ownContact(callerOf(req), req.params.id, req.params.contact_id)),
  );

  app.post(
    '/accounts/:id/contacts/:contact_id',
    { config: admin.config, schema: { ...admin.base, summary: 'Add a contact; 403 when it is one already (Admin)', params: AccountContactParams, response: { 200: Done, ...errors } } },
    async (req) => {
      await contacts.addContact(callerOf(req), req.params.id, req.params.contact_id);
      return {};
    },
  );

  app.delete(
    '/accounts/:id/contacts/:contact_id',
    { config: admin.config, schema: { ...admin.base, summary: 'Remove a contact; 403 when it is none (Admin)', params: AccountContactParams, response: { 200: Done, ...errors } } },
    async (req) => {
      await contacts.removeContact(callerOf(req), req.params.id, req.params.contact_id);
      return {};
    },
  );
};
