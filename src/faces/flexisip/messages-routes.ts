/** Messages (Admin): a SIP MESSAGE through the configured SIP proxy. */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { callerOf, security } from '../http/authenticate.js';
import { ADMIN, errors, tags, asAdmin } from './common.js';
import type { FlexisipRouteOptions } from './routes.js';

export const messagesRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/messages',
    {
      // A message sent, not a change of configuration: not in the admin audit trail.
      config: { ...asAdmin, notAudited: 'code' },
      schema: {
        tags,
        security: security(ADMIN),
        summary: 'Send a message over SIP: to and body required; answers the SIP Call-ID (Admin)',
        body: Type.Object({ to: Type.Optional(Type.Unknown()), body: Type.Optional(Type.Unknown()) }),
        response: { 200: Type.Object({ id: Type.String() }), ...errors },
      },
    },
    async (req) => core.sipMessages.send(callerOf(req), req.body),
  );
};
