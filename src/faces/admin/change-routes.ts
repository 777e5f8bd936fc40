/**
 * The admin audit trail, read (core/changes; `changes.read`):
 *   GET /admin/changes?since&until&tenant&actorId&role&action&objectType&objectId&outcome&surface&limit&before
 *   GET /admin/changes/export?…the same filters…   (JSON lines, every match, newest first)
 * Newest first; `before` (a record id, the answer's `next`) pages backwards. Times are ISO 8601.
 */
import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { CHANGE_OUTCOMES, CHANGE_SURFACES, type Change, type ChangeQuery } from '../../core/changes/changes.js';
import type { Core } from '../../core/core.js';
import { type AuthScheme, callerOf, security } from '../http/authenticate.js';
import { DateTimeInput, Id, TenantRef, dateTimeOf } from '../http/schemas.js';

const AUTH: AuthScheme[] = ['basic', 'apiKey', 'jwt'];
const config = { auth: AUTH, capability: 'changes.read' as const };
const tags = ['admin'];

const Filters = {
  since: Type.Optional(DateTimeInput),
  until: Type.Optional(DateTimeInput),
  tenant: Type.Optional(Type.String({ ...TenantRef, description: 'only changes made by callers of this tenant\'s tree (id or SID, in reach)' })),
  actorId: Type.Optional(Type.Integer({ ...Id, description: 'only changes made by this account' })),
  role: Type.Optional(Type.String({ maxLength: 20, description: 'only changes made by callers of this role (admin, tenant, superagent, …, operator for the CLI)' })),
  action: Type.Optional(Type.String({ maxLength: 200, description: 'the action, exactly: a route (`POST /admin/tenants`) or a CLI command (`cli account create`)' })),
  objectType: Type.Optional(Type.String({ maxLength: 60, description: 'the kind of object acted on (`tenants`, `accounts`, `api-keys`, …)' })),
  objectId: Type.Optional(Type.String({ maxLength: 200 })),
  outcome: Type.Optional(Type.Union(CHANGE_OUTCOMES.map((o) => Type.Literal(o)))),
  surface: Type.Optional(Type.Union(CHANGE_SURFACES.map((s) => Type.Literal(s)))),
};
const ListQuery = Type.Object(
  { ...Filters, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })), before: Type.Optional(Id) },
  { additionalProperties: false },
);
const ExportQuery = Type.Object(Filters, { additionalProperties: false });

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null(), Type.Array(Type.String())]);
const ChangeView = Type.Object({
  id: Type.Integer(),
  time: Type.String({ format: 'date-time' }),
  actor: Type.Object({
    tenantId: Type.Union([Type.Integer(), Type.Null()]),
    accountId: Type.Union([Type.Integer(), Type.Null()]),
    role: Type.String({ description: 'the caller\'s role; operator: the CLI on the server; anonymous: a public route' }),
    via: Type.String({ description: 'basic, api_key, jwt, digest; cli; none' }),
  }),
  surface: Type.String({ description: 'api, console or cli' }),
  action: Type.String(),
  object: Type.Union([Type.Object({ type: Type.String(), id: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]),
  outcome: Type.String({ description: 'done or refused' }),
  errorCode: Type.Union([Type.String(), Type.Null()], { description: 'the refusal\'s error code' }),
  status: Type.Union([Type.Integer(), Type.Null()], { description: 'the HTTP status answered' }),
  clientAddress: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.Union([Type.String(), Type.Null()], { description: 'the answer\'s x-request-id' }),
  detail: Type.Record(Type.String(), Scalar, { description: 'non-secret facts: allow-listed fields\' values and the names of the fields sent' }),
});

/** A record as the API, the console's links and the CLI's --json show it: the time in ISO 8601. */
export function changeView(c: Change) {
  const { at, id, ...rest } = c;
  return { id, time: new Date(at).toISOString(), ...rest };
}
const viewOf = changeView;

function queryOf(q: Static<typeof ExportQuery>): ChangeQuery {
  return {
    tenant: q.tenant,
    since: q.since === undefined ? undefined : dateTimeOf('since', q.since),
    until: q.until === undefined ? undefined : dateTimeOf('until', q.until),
    actorAccountId: q.actorId,
    actorRole: q.role,
    action: q.action,
    objectType: q.objectType,
    objectId: q.objectId,
    outcome: q.outcome,
    surface: q.surface,
  };
}

export const changeRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/admin/changes', {
    config,
    schema: {
      tags,
      security: security(AUTH),
      summary: 'The admin audit trail: changes made in reach, done or refused, newest first',
      querystring: ListQuery,
      response: { 200: Type.Object({ changes: Type.Array(ChangeView), next: Type.Union([Type.Integer(), Type.Null()], { description: 'pass as `before` for the next page; null on the last' }) }) },
    },
  }, async (req) => {
    const limit = req.query.limit ?? 100;
    const changes = await core.changeLog.list(callerOf(req), { ...queryOf(req.query), limit, before: req.query.before });
    return { changes: changes.map(viewOf), next: changes.length === limit ? changes[changes.length - 1]!.id : null };
  });

  app.get('/admin/changes/export', {
    config,
    schema: {
      tags,
      security: security(AUTH),
      summary: 'Every change the filters match, as JSON lines (application/x-ndjson), newest first',
      querystring: ExportQuery,
      produces: ['application/x-ndjson'],
    },
  }, async (req, reply) => {
    const caller = callerOf(req);
    const query = queryOf(req.query);
    // The first page is read before answering, so a refusal (a tenant out of reach) is a 4xx, not a cut stream.
    const first = await core.changeLog.list(caller, { ...query, limit: 500 });
    async function* lines() {
      for (const c of first) yield `${JSON.stringify(viewOf(c))}\n`;
      if (first.length < 500) return;
      for await (const c of core.changeLog.exportAll(caller, { ...query, before: first[first.length - 1]!.id })) yield `${JSON.stringify(viewOf(c))}\n`;
    }
    return reply
      .type('application/x-ndjson; charset=utf-8')
      .header('content-disposition', 'attachment; filename="gatehouse-changes.jsonl"')
      .header('cache-control', 'no-store')
      .send(Readable.from(lines()));
  });
};
