/** Session detail records, usage, and the Twilio status callback that keeps delivery status current. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { parseTwilioStatus, validateTwilioSignature } from '../../channels/twilio-status.js';
import { TWILIO_STATUS_PATH } from '../../channels/twilio.js';
import type { Core } from '../../core/core.js';
import { forbidden, invalid } from '../../core/errors.js';
import type { Sdr } from '../../core/verifications/records.js';
import { callerOf, security } from '../http/authenticate.js';
import { PageFields, PagingQuery, page, pageNumber, parseSort, parseTime, specDate } from './paging.js';
import { AUTH, Answer, access, tags } from './common.js';

const SdrData = Type.Object({
  requestID: Type.String(),
  accountSid: Type.String(),
  service: Type.String(),
  channel: Type.String(),
  to: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  deliveryStatus: Type.String(),
  provider: Type.Union([Type.String(), Type.Null()]),
  providerId: Type.Union([Type.String(), Type.Null()]),
  deliveryError: Type.Union([Type.String(), Type.Null()]),
  dateExpires: Type.String(),
  dateCreated: Type.String(),
  dateUpdated: Type.String(),
  uri: Type.String(),
});
const sdrData = (s: Sdr) => ({
  requestID: s.requestId,
  accountSid: s.accountSid,
  service: s.service,
  channel: s.channel,
  to: s.to,
  status: s.status,
  attempts: s.attempts,
  deliveryStatus: s.deliveryStatus,
  provider: s.provider,
  providerId: s.providerId,
  deliveryError: s.deliveryError,
  dateExpires: specDate(s.expiresAt),
  dateCreated: specDate(s.createdAt),
  dateUpdated: specDate(s.updatedAt),
  uri: `/2fa/sdr/search/${s.requestId}`,
});
const errors = { '4xx': Answer, '5xx': Answer };
const config = access('records.read');
const Status = Type.Union(['pending', 'verified', 'canceled', 'expired', 'failed'].map((s) => Type.Literal(s)));
const Channel = Type.Union([Type.Literal('sms'), Type.Literal('call'), Type.Literal('email')]);

export const recordRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  for (const path of ['/2fa/sdr/search', '/2fa/sdr/search/']) app.get(
    path,
    {
      config,
      schema: {
        tags, summary: 'Search session detail records', hide: path.endsWith('/'), security: security(AUTH),
        querystring: Type.Object({
          ...PagingQuery,
          to: Type.Optional(Type.String({ maxLength: 320 })),
          channel: Type.Optional(Channel),
          status: Type.Optional(Status),
          service: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: { 200: Type.Object({ data: Type.Object({ result: Type.Array(SdrData), ...PageFields }), code: Type.Integer(), message: Type.String() }), ...errors },
      },
    },
    async (req) => {
      const q = req.query;
      const [sortBy, direction] = parseSort(q.SortBy, ['dateCreated', 'to', 'status'] as const, ['dateCreated', 'desc']);
      const pageNo = pageNumber(q);
      const pageSize = q.pageSize ?? 10;
      const { rows, total } = await core.records.search(callerOf(req), {
        page: pageNo, pageSize, to: q.to, channel: q.channel, status: q.status, service: q.service, accountSid: q.accountSid,
        subAccounts: q.subAccounts, startTime: parseTime('startTime', q.startTime), endTime: parseTime('endTime', q.endTime, { wholeDay: true }), sortBy, direction,
      });
      return { data: { result: rows.map(sdrData), ...page('/2fa/sdr/search', q, pageNo, pageSize, total, rows.length) }, code: 200, message: 'OK' };
    },
  );

  app.get(
    '/2fa/sdr/search/:requestId',
    {
      config,
      schema: {
        tags, summary: 'One session detail record with its events', security: security(AUTH),
        params: Type.Object({ requestId: Type.String({ maxLength: 64 }) }),
        response: {
          200: Type.Object({
            data: Type.Object({
              ...SdrData.properties,
              events: Type.Array(Type.Object({ type: Type.String(), detail: Type.Union([Type.String(), Type.Null()]), date: Type.String() })),
              deliveryAttempts: Type.Array(
                Type.Object({
                  channel: Type.String(),
                  provider: Type.String(),
                  providerId: Type.Union([Type.String(), Type.Null()]),
                  status: Type.String({ description: 'accepted (the provider answered 2xx), delivered or undelivered (its report), retry (tried again), failed' }),
                  error: Type.Union([Type.String(), Type.Null()]),
                  date: Type.String(),
                }),
                { description: 'Every delivery try of every channel, oldest first (a fallback adds the next channel\'s)' },
              ),
            }),
            code: Type.Integer(),
            message: Type.String(),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const sdr = await core.records.get(callerOf(req), req.params.requestId);
      return {
        data: {
          ...sdrData(sdr),
          events: sdr.events.map((e) => ({ type: e.type, detail: e.detail, date: specDate(e.time) })),
          deliveryAttempts: sdr.deliveryAttempts.map(({ time, ...a }) => ({ ...a, date: specDate(time) })),
        },
        code: 200,
        message: 'OK',
      };
    },
  );

  app.get(
    '/2fa/usage',
    {
      config,
      schema: {
        tags, summary: 'Sends counted by channel, status and day', security: security(AUTH),
        querystring: Type.Object({ startTime: Type.String({ maxLength: 40 }), endTime: Type.String({ maxLength: 40 }), accountSid: Type.Optional(Type.String({ maxLength: 34 })), subAccounts: Type.Optional(Type.Boolean()) }),
        response: {
          200: Type.Object({
            data: Type.Object({
              startTime: Type.String(),
              endTime: Type.String(),
              total: Type.Integer(),
              result: Type.Array(Type.Object({ day: Type.String(), channel: Type.String(), status: Type.String(), count: Type.Integer() }), { description: 'Sends, by their first channel' }),
              attempts: Type.Array(Type.Object({ day: Type.String(), channel: Type.String(), count: Type.Integer() }), { description: 'Delivery tries, by the channel each used (a fallback counts on its own channel)' }),
            }),
            code: Type.Integer(),
            message: Type.String(),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const startTime = parseTime('startTime', req.query.startTime)!;
      const endTime = parseTime('endTime', req.query.endTime, { wholeDay: true })!;
      if (endTime < startTime) throw invalid('endTime', 'must not be before startTime');
      const result = await core.records.usage(callerOf(req), { startTime, endTime, accountSid: req.query.accountSid, subAccounts: req.query.subAccounts });
      const attempts = await core.records.attemptUsage(callerOf(req), { startTime, endTime, accountSid: req.query.accountSid, subAccounts: req.query.subAccounts });
      return { data: { startTime: specDate(startTime), endTime: specDate(endTime), total: result.reduce((n, r) => n + r.count, 0), result, attempts }, code: 200, message: 'OK' };
    },
  );

  // Public: Twilio calls it. With Twilio configured, only a correctly signed request changes anything.
  app.post(
    TWILIO_STATUS_PATH,
    { config: { notAudited: 'callback' }, schema: { tags, summary: "Twilio's delivery status callback", body: Type.Record(Type.String(), Type.String()), response: { 200: Answer, ...errors } } },
    async (req) => {
      const twilio = core.deps.config.twilio;
      const form = req.body;
      if (twilio) {
        const base = core.deps.config.publicUrl ?? `${req.protocol}://${req.host}`;
        const signature = req.headers['x-twilio-signature'];
        const valid = twilio.authToken !== null && validateTwilioSignature(twilio.authToken, base + TWILIO_STATUS_PATH, form, Array.isArray(signature) ? signature[0] : signature);
        if (!valid) throw forbidden('invalid X-Twilio-Signature');
      }
      const status = parseTwilioStatus(form);
      if (status) await core.verifications.deliveryStatus(status.providerId, status.status, status.error);
      return { code: 200, message: 'OK', requestID: null };
    },
  );
};
