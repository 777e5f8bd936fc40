/** The authenticated account itself (User): read, provision, delete, change password. */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { callerOf, security } from '../http/authenticate.js';
import { Account, USER, accountJson, asUser, errors, tags } from './common.js';
import type { FlexisipRouteOptions } from './routes.js';

export const accountsMeRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const f = core.flexisip;
  const json = (a: Parameters<typeof accountJson>[0]) => accountJson(a, f.accounts.realmOf);
  const config = asUser('sip.self');
  const base = { tags, security: security(USER) };

  app.get('/accounts/me', { config: asUser('accounts.read'), schema: { ...base, summary: 'The account (User)', response: { 200: Account, ...errors } } }, async (req) => json(await f.me(callerOf(req))));

  app.get(
    '/accounts/me/provision',
    { config: { ...config, changesState: true }, schema: { ...base, summary: 'A fresh provisioning_token (User)', response: { 200: Account, ...errors } } },
    async (req) => json(await f.provisionMe(callerOf(req))),
  );

  // One shape for every delete on this face: 200 {}. Upstream answers its account deletes with an
  // empty 200 (Admin) or `true` (User) and its other deletes with a count; clients read the status.
  app.delete('/accounts/me', { config, schema: { ...base, summary: 'Delete the account (User)', response: { 200: Type.Object({}), ...errors } } }, async (req) => {
    await f.deleteMe(callerOf(req));
    return {};
  });

  app.post(
    '/accounts/me/password',
    {
      config,
      schema: {
        ...base,
        summary: 'Change the password (User)',
        body: Type.Object({ algorithm: Type.Optional(Type.String({ maxLength: 20 })), old_password: Type.Optional(Type.String({ maxLength: 200 })), password: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 200: Account, ...errors },
      },
    },
    async (req) => json(await f.changePassword(callerOf(req), req.body)),
  );
};
