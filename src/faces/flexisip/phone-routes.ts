/** Accounts phone number (User): a code by SMS (the one-time-code core), then the code changes the phone and activates the account. */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { callerOf, security } from '../http/authenticate.js';
import { Account, USER, accountJson, asUser, errors, tags } from './common.js';
import type { FlexisipRouteOptions } from './routes.js';

export const phoneRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const f = core.flexisip;
  const config = asUser('sip.self');
  const base = { tags, security: security(USER) };

  app.post(
    '/accounts/me/phone/request',
    // A code sent: the change is its confirmation below, which the admin audit trail records.
    { config: { ...config, notAudited: 'code' }, schema: { ...base, summary: 'A code by SMS to the new phone number (User)', body: Type.Object({ phone: Type.Optional(Type.String({ maxLength: 40 })) }), response: { 200: Type.Object({}), ...errors } } },
    async (req) => {
      await f.requestPhoneChange(callerOf(req), req.body.phone);
      return {};
    },
  );

  app.post(
    '/accounts/me/phone',
    { config, schema: { ...base, summary: 'Confirm the code: change the phone number and activate the account (User)', body: Type.Object({ code: Type.Optional(Type.String({ maxLength: 20 })) }), response: { 200: Account, ...errors } } },
    async (req) => accountJson(await f.confirmPhoneChange(callerOf(req), req.body.code), f.accounts.realmOf),
  );
};
