/** Accounts email (User): a code by email to the new address, then the code confirms the change. */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { callerOf, security } from '../http/authenticate.js';
import { Account, USER, accountJson, asUser, errors, tags } from './common.js';
import type { FlexisipRouteOptions } from './routes.js';

export const emailRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const f = core.flexisip;
  const config = asUser('sip.self');
  const base = { tags, security: security(USER) };

  app.post(
    '/accounts/me/email/request',
    // A code sent: the change is its confirmation below, which the admin audit trail records.
    { config: { ...config, notAudited: 'code' }, schema: { ...base, summary: 'Ask to change the email: a code goes to the new address (User)', body: Type.Object({ email: Type.Optional(Type.String({ maxLength: 320 })) }), response: { 200: Type.Object({}), ...errors } } },
    async (req) => {
      await f.requestEmailChange(callerOf(req), req.body.email);
      return {};
    },
  );

  app.post(
    '/accounts/me/email',
    { config, schema: { ...base, summary: 'Confirm the email change with the code received (User)', body: Type.Object({ code: Type.Optional(Type.String({ maxLength: 20 })) }), response: { 200: Account, ...errors } } },
    async (req) => accountJson(await f.confirmEmailChange(callerOf(req), req.body.code), f.accounts.realmOf),
  );
};
