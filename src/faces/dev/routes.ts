/**
 * The development outbox: every message the outbox channel stored, for an admin, newest first. People
 * read it on the console's Outbox tab (/console/outbox), the one outbox page.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Core } from '../../core/core.js';
import { type AuthScheme, callerOf, security } from '../http/authenticate.js';

const AUTH: AuthScheme[] = ['apiKey', 'jwt', 'basic'];

const Message = Type.Object({
  id: Type.Integer(),
  tenantId: Type.Union([Type.Integer(), Type.Null()]),
  channel: Type.String(),
  to: Type.String(),
  from: Type.Union([Type.String(), Type.Null()]),
  subject: Type.Union([Type.String(), Type.Null()]),
  body: Type.String(),
  time: Type.String({ format: 'date-time' }),
});

export const devFace: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/dev/outbox',
    {
      config: { auth: AUTH, capability: 'outbox.read' as const },
      schema: {
        tags: ['development'],
        summary: 'Messages in the development outbox, newest first (admin)',
        security: security(AUTH),
        querystring: Type.Object(
          { to: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ messages: Type.Array(Message) }) },
      },
    },
    async (req) => {
      const messages = await core.outbox.list(callerOf(req), { to: req.query.to, limit: req.query.limit });
      return { messages: messages.map(({ createdAt, ...m }) => ({ ...m, time: new Date(createdAt).toISOString() })) };
    },
  );
};
