/**
 * The SIP registrar's side (Kamailio): HA1 lookups and registration reports, under /internal/sip,
 * guarded by the shared secret GATEHOUSE_REGISTRAR_SECRET in x-gatehouse-registrar-secret. Without
 * the setting these routes do not exist (404).
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/core.js';
import { constantTimeEqual } from '../../core/crypto.js';

const tags = ['sip-registrar'];

export const registrarFace: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const secret = core.deps.config.flexisip.registrarSecret;
  if (!secret) return;
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  const guard = (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const given = req.headers['x-gatehouse-registrar-secret'];
    if (typeof given !== 'string' || !constantTimeEqual(given, secret)) {
      reply.status(401).send();
      return;
    }
    done();
  };

  app.get(
    '/internal/sip/ha1',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'HA1 of an account for the registrar (text/plain hex); 404 when unknown, blocked or without that algorithm',
        querystring: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), domain: Type.String({ minLength: 1, maxLength: 253 }), algorithm: Type.Union([Type.Literal('MD5'), Type.Literal('SHA-256')]) }),
      },
    },
    async (req, reply) => {
      const ha1 = await core.sip.registrarHa1(req.query.username, req.query.domain, req.query.algorithm);
      if (!ha1) return reply.status(404).send();
      reply.type('text/plain; charset=utf-8');
      return ha1;
    },
  );

  app.post(
    '/internal/sip/registrations',
    {
      onRequest: guard,
      config: { notAudited: 'callback' },
      schema: {
        tags,
        summary: 'A registration seen by the registrar: upserts the device (expires 0 removes it)',
        body: Type.Object({
          username: Type.String({ minLength: 1, maxLength: 64 }),
          domain: Type.String({ minLength: 1, maxLength: 253 }),
          uuid: Type.String({ minLength: 1, maxLength: 200 }),
          contact: Type.String({ minLength: 1, maxLength: 1000 }),
          user_agent: Type.Optional(Type.Union([Type.String({ maxLength: 300 }), Type.Null()])),
          expires: Type.Integer({ minimum: 0, maximum: 31_536_000 }),
        }),
      },
    },
    async (req, reply) => {
      const b = req.body;
      await core.flexisip.devices.register({ username: b.username, domain: b.domain, uuid: b.uuid, contact: b.contact, userAgent: b.user_agent ?? null, expires: b.expires });
      return reply.status(204).send();
    },
  );
};
