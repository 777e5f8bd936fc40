/**
 * Call records (GET /voiceconfig/callrecords, /voiceconfig/callrecords/{callSid}), searched and paged
 * the way Smart 2FA's session detail records are: page/pageSize, startTime/endTime, SortBy, and the
 * firstPageUri/nextPageUri that keep the filters given.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import type { CallRecord } from '../../core/voice/calls.js';
import { callerOf, security } from '../http/authenticate.js';
import { Id } from '../http/schemas.js';
import { PageFields, page, parseSort, parseTime } from '../smart2fa/paging.js';
import { AUTH, access, errors, tags } from './common.js';

const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const RecordView = Type.Object({
  callSid: Type.String(),
  siteId: Type.Integer(),
  direction: Type.String(),
  from: Type.String(),
  to: Type.String(),
  lineId: Type.Union([Type.Integer(), Type.Null()]),
  lineName: Type.Union([Type.String(), Type.Null()]),
  agentId: Type.Union([Type.Integer(), Type.Null()]),
  status: Type.String(),
  startTime: Type.String({ format: 'date-time' }),
  answerTime: Time,
  endTime: Time,
  duration: Type.Union([Type.Integer(), Type.Null()]),
  price: Type.Union([Type.String(), Type.Null()]),
  priceUnit: Type.Union([Type.String(), Type.Null()]),
  errorCode: Type.Union([Type.String(), Type.Null()]),
  errorUrl: Type.Union([Type.String(), Type.Null()]),
  recordingUrl: Type.Union([Type.String(), Type.Null()]),
  uri: Type.String(),
});
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const view = (r: CallRecord) => ({
  callSid: r.callSid,
  siteId: r.siteId,
  direction: r.direction,
  from: r.from,
  to: r.to,
  lineId: r.lineId,
  lineName: r.lineName,
  agentId: r.agentId,
  status: r.status,
  startTime: new Date(r.startedAt).toISOString(),
  answerTime: iso(r.answeredAt),
  endTime: iso(r.endedAt),
  duration: r.duration,
  price: r.price,
  priceUnit: r.priceUnit,
  errorCode: r.errorCode,
  errorUrl: r.errorUrl,
  recordingUrl: r.recordingUrl,
  uri: `/voiceconfig/callrecords/${r.callSid}`,
});

const Query = Type.Object({
  siteId: Type.Optional(Id),
  subAccounts: Type.Optional(Type.Boolean({ description: "also the sites below siteId (a partner's sites)" })),
  lineId: Type.Optional(Id),
  agentId: Type.Optional(Id),
  status: Type.Optional(Type.String({ maxLength: 16 })),
  direction: Type.Optional(Type.Union([Type.Literal('inbound'), Type.Literal('outbound')])),
  startTime: Type.Optional(Type.String({ maxLength: 40 })),
  endTime: Type.Optional(Type.String({ maxLength: 40 })),
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  SortBy: Type.Optional(Type.String({ maxLength: 40, description: 'startTime[:asc|desc], default startTime:desc' })),
});

export const callRecordRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const schema = <T extends object>(s: T) => ({ tags, security: security(AUTH), ...s });

  app.get(
    '/voiceconfig/callrecords',
    { config: access('voice.records.read'), schema: schema({ summary: 'Search call records', querystring: Query, response: { 200: Type.Object({ result: Type.Array(RecordView), ...PageFields }), ...errors } }) },
    async (req) => {
      const q = req.query;
      const [, order] = parseSort(q.SortBy, ['startTime'] as const, ['startTime', 'desc']);
      const pageNo = q.page ?? 0;
      const pageSize = q.pageSize ?? 10;
      const { rows, total } = await core.voice.calls.list(callerOf(req), {
        siteId: q.siteId, subAccounts: q.subAccounts, lineId: q.lineId, agentId: q.agentId, status: q.status, direction: q.direction,
        startTime: parseTime('startTime', q.startTime), endTime: parseTime('endTime', q.endTime), page: pageNo, pageSize, order,
      });
      return { result: rows.map(view), ...page('/voiceconfig/callrecords', q, pageNo, pageSize, total, rows.length) };
    },
  );

  app.get(
    '/voiceconfig/callrecords/:callSid',
    {
      config: access('voice.records.read'),
      schema: schema({
        summary: 'One call record with the statuses it went through',
        params: Type.Object({ callSid: Type.String({ maxLength: 34 }) }),
        response: { 200: Type.Object({ ...RecordView.properties, events: Type.Array(Type.Object({ status: Type.String(), time: Type.String({ format: 'date-time' }) })) }), ...errors },
      }),
    },
    async (req) => {
      const r = await core.voice.calls.get(callerOf(req), req.params.callSid);
      return { ...view(r), events: r.events.map((e) => ({ status: e.status, time: new Date(e.at).toISOString() })) };
    },
  );
};
