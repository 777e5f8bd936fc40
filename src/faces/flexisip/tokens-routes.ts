/** Account creation request tokens, account creation tokens and auth tokens. */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { callerOf, security } from '../http/authenticate.js';
import { ADMIN, Token, USER, asAdmin, asUser, errors, tags, tokenJson } from './common.js';
import type { FlexisipRouteOptions } from './routes.js';

const Text = Type.String({ maxLength: 300 });

export const tokensRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const f = core.flexisip;
  const publicUrl = core.deps.config.publicUrl;

  app.post(
    '/account_creation_request_tokens',
    { config: { notAudited: 'login' }, schema: { tags, summary: 'Create an account_creation_request_token (Public)', response: { 201: Token, ...errors } } },
    async (_req, reply) => {
      const t = await f.createRequestToken();
      const validation = `/api/account_creation_request_tokens/${t.token}/validate`;
      reply.status(201);
      return { ...tokenJson(t), validation_url: publicUrl ? `${publicUrl}${validation}` : validation };
    },
  );

  // The upstream validates a request token in a browser (a captcha); here an Admin (or the service
  // that ran the human check with an admin credential) validates it.
  app.post(
    '/account_creation_request_tokens/:token/validate',
    { config: { ...asAdmin, secretPath: true, notAudited: 'login' }, schema: { tags, summary: 'Validate an account_creation_request_token (Admin, Gatehouse)', security: security(ADMIN), params: Type.Object({ token: Text }), response: { 200: Type.Object({ validated: Type.Boolean() }), ...errors } } },
    async (req) => {
      await f.validateRequestToken(callerOf(req), req.params.token);
      return { validated: true };
    },
  );

  app.post(
    '/account_creation_tokens/send-by-push',
    { config: { notAudited: 'code' }, schema: { tags, summary: 'Send an account_creation_token by push notification (Public)', body: Type.Object({ pn_provider: Type.Optional(Text), pn_param: Type.Optional(Text), pn_prid: Type.Optional(Text) }), response: { 200: Type.Object({}), ...errors } } },
    async (req) => {
      await f.sendByPush({ pn_provider: req.body.pn_provider ?? '', pn_param: req.body.pn_param ?? '', pn_prid: req.body.pn_prid ?? '' });
      return {};
    },
  );

  app.post(
    '/account_creation_tokens/using-account-creation-request-token',
    { config: { notAudited: 'login' }, schema: { tags, summary: 'Exchange a validated account_creation_request_token (Public)', body: Type.Object({ account_creation_request_token: Type.Optional(Text) }), response: { 201: Token, ...errors } } },
    async (req, reply) => {
      const t = await f.creationTokenFromRequest(req.body.account_creation_request_token ?? '');
      reply.status(201);
      return tokenJson(t);
    },
  );

  app.post(
    '/account_creation_tokens',
    {
      config: asAdmin,
      schema: {
        tags,
        summary: 'Create an account_creation_token (Admin) for one of the caller\'s domains: `?domain=` names it (required when the caller administers several)',
        security: security(ADMIN),
        querystring: Type.Object({ domain: Type.Optional(Type.String({ maxLength: 253 })) }),
        response: { 201: Token, ...errors },
      },
    },
    async (req, reply) => {
      const t = await f.creationTokenByAdmin(callerOf(req), req.query.domain);
      reply.status(201);
      return tokenJson(t);
    },
  );

  app.post(
    '/accounts/auth_token',
    { config: { notAudited: 'login' }, schema: { tags, summary: 'Generate an auth_token (Public)', response: { 201: Token, ...errors } } },
    async (_req, reply) => {
      const t = await f.createAuthToken();
      reply.status(201);
      return tokenJson(t);
    },
  );

  app.get(
    '/accounts/auth_token/:auth_token/attach',
    { config: { ...asUser('credentials.mint'), secretPath: true, changesState: true, notAudited: 'login' }, schema: { tags, summary: 'Attach an auth_token to the authenticated account (User)', security: security(USER), params: Type.Object({ auth_token: Text }), response: { 200: Type.Object({}), ...errors } } },
    async (req) => {
      await f.attachAuthToken(callerOf(req), req.params.auth_token);
      return {};
    },
  );
};
