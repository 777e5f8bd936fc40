/** API keys: a fresh one for the authenticated account, or for the account an auth_token is attached to. Both also set the cookie. */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { callerOf, security } from '../http/authenticate.js';
import { USER, asUser, errors, setApiKeyCookie, tags } from './common.js';
import type { FlexisipRouteOptions } from './routes.js';

export const apiKeyRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const f = core.flexisip;

  app.get(
    '/accounts/me/api_key/:auth_token',
    { config: { secretPath: true, changesState: true, notAudited: 'login' }, schema: { tags, summary: 'A fresh API key from an attached auth_token (Public)', params: Type.Object({ auth_token: Type.String({ maxLength: 300 }) }), response: { 200: Type.Object({ api_key: Type.String() }), ...errors } } },
    async (req, reply) => {
      const key = await f.apiKeyFromAuthToken(req.params.auth_token);
      setApiKeyCookie(reply, key);
      return { api_key: key };
    },
  );

  // The upstream answers this one with the bare key as the body.
  app.get(
    '/accounts/me/api_key',
    { config: { ...asUser('credentials.mint'), changesState: true }, schema: { tags, summary: 'A fresh API key (User); the body is the key', security: security(USER), response: { 200: Type.String(), ...errors } } },
    async (req, reply) => {
      const key = await f.apiKeyForMe(callerOf(req));
      setApiKeyCookie(reply, key);
      reply.type('text/plain; charset=utf-8');
      return key;
    },
  );
};
