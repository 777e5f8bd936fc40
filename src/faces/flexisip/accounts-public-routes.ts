/**
 * The Public account endpoints: creation with an account_creation_token, public information,
 * activation by key; and the deprecated, unsecure ones (public creation, info and recovery by phone),
 * which answer 404 unless GATEHOUSE_FLEXISIP_DANGEROUS_ENDPOINTS is on.
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AccountBody } from './account-body.js';
import { Account, accountJson, errors, tags } from './common.js';
import type { FlexisipRouteOptions } from './routes.js';

const Sip = Type.Object({ sip: Type.String({ maxLength: 330 }) });
const Info = Type.Object({ activated: Type.Boolean(), realm: Type.String(), phone: Type.Optional(Type.Boolean()) });
const KeyBody = Type.Object({ confirmation_key: Type.Optional(Type.String({ maxLength: 100 })), code: Type.Optional(Type.String({ maxLength: 100 })) });

const userAgent = (req: FastifyRequest) => req.headers['user-agent']?.slice(0, 300) ?? null;

export const accountsPublicRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const f = core.flexisip;
  const json = (a: Parameters<typeof accountJson>[0]) => accountJson(a, f.accounts.realmOf);

  // 200 for every account creation, as upstream answers.
  app.post(
    '/accounts/with-account-creation-token',
    { schema: { tags, summary: 'Create an account with an account_creation_token (Public)', body: AccountBody, response: { 200: Account, ...errors } } },
    async (req) => json(await f.createWithToken(req.body, userAgent(req))),
  );

  app.post(
    '/accounts/public',
    { schema: { tags, summary: 'Create an account (Deprecated, Public, Unsecure: off unless GATEHOUSE_FLEXISIP_DANGEROUS_ENDPOINTS)', body: AccountBody, response: { 200: Account, ...errors } } },
    async (req) => json(await f.createPublic(req.body, userAgent(req))),
  );

  app.get(
    '/accounts/:sip/info',
    { schema: { tags, summary: 'Public information about an account (Public)', params: Sip, response: { 200: Info, ...errors } } },
    async (req) => f.info(req.params.sip),
  );

  app.get(
    '/accounts/:sip/info-by-phone',
    { schema: { tags, summary: 'Public information by phone (Deprecated, Public, Unsecure)', params: Sip, response: { 200: Info, ...errors } } },
    async (req) => f.infoByPhone(req.params.sip),
  );

  app.post(
    '/accounts/recover-by-phone',
    { config: { notAudited: 'code' }, schema: { tags, summary: 'Send a recovery code by SMS (Deprecated, Public, Unsecure)', body: Type.Object({ phone: Type.Optional(Type.String({ maxLength: 40 })), account_creation_token: Type.Optional(Type.String({ maxLength: 300 })) }), response: { 200: Type.Object({}), ...errors } } },
    async (req) => {
      await f.recoverByPhone(req.body);
      return {};
    },
  );

  app.get(
    '/accounts/:sip/recover/:recover_key',
    { config: { secretPath: true, changesState: true, notAudited: 'login' }, schema: { tags, summary: 'Activate with a recovery key; answers the hashed password (Deprecated, Public, Unsecure)', params: Type.Object({ sip: Type.String({ maxLength: 330 }), recover_key: Type.String({ maxLength: 100 }) }), response: { 200: Account, ...errors } } },
    async (req) => json(await f.recoverByKey(req.params.sip, req.params.recover_key)),
  );

  for (const kind of ['email', 'phone'] as const) {
    app.post(
      `/accounts/:sip/activate/${kind}`,
      { config: { notAudited: 'code' }, schema: { tags, summary: `Activate an account with the key received by ${kind} (Deprecated, Public)`, params: Sip, body: KeyBody, response: { 200: Account, ...errors } } },
      async (req) => json(await f.activateByKey(req.params.sip, req.body.confirmation_key ?? req.body.code, kind)),
    );
  }
};
