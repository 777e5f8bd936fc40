/** Account Types (Admin): a tenant's type keys and their attachment to accounts. */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AccountType as Kind } from '../../core/sip-directory/account-types.js';
import { callerOf, security } from '../http/authenticate.js';
import { ADMIN, errors, tags, asAdmin } from './common.js';
import { AccountTypeParams, Done, ListParams } from './directory-common.js';
import type { FlexisipRouteOptions } from './routes.js';

const AccountType = Type.Object({ id: Type.Integer(), key: Type.String() });
const TypeBody = Type.Object({ key: Type.Optional(Type.Unknown()) });
const typeJson = (t: Kind) => ({ id: t.id, key: t.key });

export const accountTypesRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const types = core.sipDirectory.accountTypes;
  const config = asAdmin;
  const base = { tags, security: security(ADMIN) };

  app.get('/account_types', { config, schema: { ...base, summary: 'Every account type (Admin)', response: { 200: Type.Array(AccountType), ...errors } } }, async (req) =>
    (await types.list(callerOf(req))).map(typeJson),
  );
  app.get('/account_types/:id', { config, schema: { ...base, summary: 'One account type (Admin)', params: ListParams, response: { 200: AccountType, ...errors } } }, async (req) =>
    typeJson(await types.get(callerOf(req), req.params.id)),
  );
  app.post('/account_types', { config, schema: { ...base, summary: 'Create an account type: key lowercase letters, digits and dashes (Admin)', body: TypeBody, response: { 201: AccountType, ...errors } } }, async (req, reply) => {
    const created = await types.create(callerOf(req), req.body);
    reply.status(201);
    return typeJson(created);
  });
  app.put('/account_types/:id', { config, schema: { ...base, summary: 'Change an account type\'s key (Admin)', params: ListParams, body: TypeBody, response: { 200: AccountType, ...errors } } }, async (req) =>
    typeJson(await types.update(callerOf(req), req.params.id, req.body)),
  );
  app.delete('/account_types/:id', { config, schema: { ...base, summary: 'Delete an account type (Admin)', params: ListParams, response: { 200: Done, ...errors } } }, async (req) => {
    await types.remove(callerOf(req), req.params.id);
    return {};
  });
  app.post('/accounts/:id/types/:type_id', { config, schema: { ...base, summary: 'Give an account a type; 403 when it has it (Admin)', params: AccountTypeParams, response: { 200: Done, ...errors } } }, async (req) => {
    await types.attach(callerOf(req), req.params.id, req.params.type_id);
    return {};
  });
  // The spec's second path for this, DELETE /accounts/{id}/contacts/{type_id}, is a slip: it is contact removal.
  app.delete('/accounts/:id/types/:type_id', { config, schema: { ...base, summary: 'Take a type from an account; 403 when it has not (Admin)', params: AccountTypeParams, response: { 200: Done, ...errors } } }, async (req) => {
    await types.detach(callerOf(req), req.params.id, req.params.type_id);
    return {};
  });
};
