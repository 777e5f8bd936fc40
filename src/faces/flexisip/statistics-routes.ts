/**
 * Statistics (Admin): what the SIP server reports about messages and calls, and the compiled figures
 * per domain and day (GET /statistics, not in the spec, which only records). A repeated id, or a
 * device report for an unknown message or call, is 400 as in the upstream API.
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { callerOf, security } from '../http/authenticate.js';
import { ADMIN, errors, tags, asAdmin } from './common.js';
import type { FlexisipRouteOptions } from './routes.js';

const Any = Type.Optional(Type.Unknown());
const Str = (max: number) => Type.String({ minLength: 1, maxLength: max });
const Recorded = Type.Object({});
const Call = Type.Object({
  id: Type.String(),
  from: Type.String(),
  to: Type.String(),
  initiated_at: Type.String(),
  ended_at: Type.Union([Type.String(), Type.Null()]),
  conference_id: Type.Union([Type.String(), Type.Null()]),
});
const Figures = Type.Object({
  date: Type.String(),
  domain: Type.String(),
  messages: Type.Object({ sent: Type.Integer(), received: Type.Integer(), encrypted: Type.Integer() }),
  calls: Type.Object({ total: Type.Integer(), answered: Type.Integer(), duration: Type.Integer() }),
});

export const statisticsRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const s = core.sipStatistics;
  // Flexisip's statistics ingestion is operational data, not a change: not in the admin audit trail.
  const config = { ...asAdmin, notAudited: 'statistics' as const };
  const base = { tags, security: security(ADMIN) };

  app.post(
    '/statistics/messages',
    { config, schema: { ...base, summary: 'Announce a message: id, from, sent_at (ISO 8601), encrypted (Admin)', body: Type.Object({ id: Any, from: Any, sent_at: Any, encrypted: Any, conference_id: Any }), response: { 200: Recorded, ...errors } } },
    async (req) => {
      await s.recordMessage(callerOf(req), req.body);
      return {};
    },
  );

  app.patch(
    '/statistics/messages/:message_id/to/:to/devices/:device_id',
    {
      config,
      schema: {
        ...base,
        summary: 'A recipient device\'s delivery: 201 when new, 200 when updated (Admin)',
        params: Type.Object({ message_id: Str(64), to: Str(256), device_id: Str(64) }),
        body: Type.Object({ last_status: Any, received_at: Any }),
        response: { 200: Recorded, 201: Recorded, ...errors },
      },
    },
    async (req, reply) => {
      const p = req.params;
      const created = await s.recordMessageDevice(callerOf(req), p.message_id, p.to.trim(), p.device_id, req.body);
      reply.status(created ? 201 : 200);
      return {};
    },
  );

  app.post(
    '/statistics/calls',
    { config, schema: { ...base, summary: 'Announce a call: id, from, to, initiated_at (ISO 8601) (Admin)', body: Type.Object({ id: Any, from: Any, to: Any, initiated_at: Any, ended_at: Any, conference_id: Any }), response: { 200: Recorded, ...errors } } },
    async (req) => {
      await s.recordCall(callerOf(req), req.body);
      return {};
    },
  );

  app.patch(
    '/statistics/calls/:call_id/devices/:device_id',
    {
      config,
      schema: {
        ...base,
        summary: 'A device\'s part in a call: rang_at, and at + state flat (the page) or inside invite_terminated (upstream); 201 when new, 200 when updated (Admin)',
        params: Type.Object({ call_id: Str(64), device_id: Str(64) }),
        body: Type.Object({ rang_at: Any, invite_terminated: Any, at: Any, state: Any }),
        response: { 200: Recorded, 201: Recorded, ...errors },
      },
    },
    async (req, reply) => {
      const created = await s.recordCallDevice(callerOf(req), req.params.call_id, req.params.device_id, req.body);
      reply.status(created ? 201 : 200);
      return {};
    },
  );

  app.patch(
    '/statistics/calls/:call_id',
    { config, schema: { ...base, summary: 'End a call: ended_at required (Admin)', params: Type.Object({ call_id: Str(64) }), body: Type.Object({ ended_at: Any }), response: { 200: Call, ...errors } } },
    async (req) => {
      const c = await s.endCall(callerOf(req), req.params.call_id, req.body);
      const iso = (t: number | null) => (t === null ? null : new Date(Number(t)).toISOString());
      return {
        id: c.id,
        from: `${c.from_username}@${c.from_domain}`,
        to: `${c.to_username}@${c.to_domain}`,
        initiated_at: iso(c.initiated_at)!,
        ended_at: iso(c.ended_at),
        conference_id: c.conference_id,
      };
    },
  );

  app.get(
    '/statistics',
    {
      config,
      schema: {
        ...base,
        summary: 'Figures per domain and UTC day: messages sent, received, encrypted; calls, answered, seconds answered (Admin)',
        querystring: Type.Object({ from: Type.Optional(Type.String({ maxLength: 10 })), to: Type.Optional(Type.String({ maxLength: 10 })), domain: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })) }),
        response: { 200: Type.Array(Figures), ...errors },
      },
    },
    async (req) => s.compiled(callerOf(req), req.query),
  );
};
