/** GET /voicetwilio/token: a Twilio Access Token for the calling agent's browser (Voice JavaScript SDK). */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import { type AuthScheme, callerOf, security } from '../http/authenticate.js';
import { access, errors, tags } from './common.js';

const AUTH: AuthScheme[] = ['jwt', 'apiKey'];

const TokenView = Type.Object({
  token: Type.String({ description: 'Twilio Access Token (JWT) with a voice grant' }),
  identity: Type.String({ description: "the browser client's identity: calls to client:<identity> ring it" }),
  ttl: Type.Integer({ description: 'seconds the token lives' }),
  expireTime: Type.String({ format: 'date-time' }),
});

export const tokenRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/voicetwilio/token',
    { config: access('voice.token', AUTH), schema: { tags, summary: "Create a Client Token for the calling agent's browser", security: security(AUTH), response: { 200: TokenView, ...errors } } },
    async (req, reply) => {
      const t = await core.voice.token(callerOf(req));
      // A bearer credential: no cache may keep it.
      reply.header('cache-control', 'no-store');
      return { token: t.token, identity: t.identity, ttl: t.ttl, expireTime: new Date(t.expiresAt * 1000).toISOString() };
    },
  );
};
