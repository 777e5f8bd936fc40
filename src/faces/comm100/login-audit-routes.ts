/**
 * The audit trail of logins and the second factor (Gatehouse's own design):
 *   GET /global/auditEvents?siteId|partnerId&agentId&event&since&until&limit&before
 * An admin reads every tenant's events, a tenant credential or super agent its subtree's, an agent
 * its own. Newest first; `before` (an event id) pages backwards. Times are ISO 8601.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { AUDIT_EVENTS } from '../../core/audit/audit.js';
import type { Core } from '../../core/core.js';
import { type AuthScheme, callerOf, security } from '../http/authenticate.js';
import { DateTimeInput, Id, dateTimeOf } from '../http/schemas.js';
import { errors, lenient } from './schemas.js';

const AUTH: AuthScheme[] = ['jwt', 'apiKey', 'basic'];

const Query = lenient({
  siteId: Type.Optional(Id),
  partnerId: Type.Optional(Id),
  agentId: Type.Optional(Id),
  event: Type.Optional(Type.Union(AUDIT_EVENTS.map((e) => Type.Literal(e)))),
  since: Type.Optional(DateTimeInput),
  until: Type.Optional(DateTimeInput),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  before: Type.Optional(Id),
});

const EventView = Type.Object({
  id: Type.Integer(),
  event: Type.String(),
  tenantId: Type.Integer(),
  agentId: Type.Union([Type.Integer(), Type.Null()]),
  clientAddress: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
  time: Type.String({ format: 'date-time' }),
});

export const loginAuditRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/global/auditEvents', {
    config: { auth: AUTH, capability: 'audit.read' as const },
    schema: { tags: ['comm100 audit'], security: security(AUTH), summary: 'Read the login and 2FA audit trail', querystring: Query, response: { 200: Type.Array(EventView), ...errors } },
  }, async (req) => {
    const q = req.query;
    const events = await core.audit.list(callerOf(req), {
      tenant: q.siteId ?? q.partnerId,
      accountId: q.agentId,
      event: q.event,
      since: q.since === undefined ? undefined : dateTimeOf('since', q.since),
      until: q.until === undefined ? undefined : dateTimeOf('until', q.until),
      limit: q.limit,
      before: q.before,
    });
    return events.map((e) => ({
      id: e.id,
      event: e.event,
      tenantId: e.tenantId,
      agentId: e.accountId,
      clientAddress: e.clientAddress,
      detail: e.detail,
      time: new Date(e.at).toISOString(),
    }));
  });
};
