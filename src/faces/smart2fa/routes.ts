/**
 * The Smart 2FA face (tata-smart-2fa.md): send, verify and cancel one-time codes, named limits,
 * the country allow list, session detail records, usage, and Twilio's status callbacks.
 * Every answer, error or not, is {"code", "message", "requestID"} (plus "data" where documented).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Core } from '../../core/core.js';
import { callerOf, security } from '../http/authenticate.js';
import { AUTH, Answer, access, tags } from './common.js';
import { useEnvelope } from '../http/errors.js';
import { smart2faEnvelope } from './envelope.js';
import { limitRoutes } from './limit-routes.js';
import { recordRoutes } from './record-routes.js';
import { fraudRoutes } from './fraud-routes.js';

const errors = { '4xx': Answer, '5xx': Answer };

const Text = (max: number) => Type.String({ maxLength: max });

const SendBody = Type.Object({
  service: Type.String({ minLength: 1, maxLength: 200 }),
  from: Type.String({ minLength: 1, maxLength: 320 }),
  to: Type.String({ minLength: 1, maxLength: 320 }),
  body: Type.String({ minLength: 1, maxLength: 1600 }),
  channel: Type.Optional(Type.Union([Type.Literal('sms'), Type.Literal('call'), Type.Literal('email')])),
  accountSid: Type.Optional(Text(34)),
  subject: Type.Optional(Text(998)),
  language: Type.Optional(Text(40)),
  repeat: Type.Optional(Type.Integer()),
  length: Type.Optional(Type.Integer()),
  voice: Type.Optional(Text(40)),
  timeout: Type.Optional(Type.Integer()),
  guardTime: Type.Optional(Type.Integer()),
  limits: Type.Optional(Type.Unknown({ description: '{"limit_name": "key value"} in order, or that object as a JSON string' })),
  fallback: Type.Optional(
    Type.Array(Type.Union([Type.String({ maxLength: 10 }), Type.Object({ channel: Type.String({ maxLength: 10 }), to: Type.Optional(Text(320)) })]), {
      maxItems: 2,
      description: 'Channels that get the same code when this one fails for good, exhausts its retries or is reported undelivered: ["call"] (same number), or [{"channel": "email", "to": "name@example.com"}]',
    }),
  ),
});

const VerifyBody = Type.Object({
  service: Type.Optional(Text(200)),
  requestId: Type.Optional(Text(64)),
  number: Type.Optional(Text(320)),
  accountSid: Type.Optional(Text(34)),
  code: Type.String({ minLength: 1, maxLength: 20 }),
});

const CancelBody = Type.Object({ requestId: Type.String({ minLength: 1, maxLength: 64 }), accountSid: Type.Optional(Text(34)) });

export const smart2faFace: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  useEnvelope(app, smart2faEnvelope);
  // Code sends, verifies and cancels are not in the admin audit trail: their SDR is their record.
  const config = { ...access('codes.send'), notAudited: 'code' as const };

  app.post(
    '/2fa/send',
    { config, schema: { tags, summary: 'Send a one-time code by sms, call or email', security: security(AUTH), body: SendBody, response: { 200: Answer, ...errors } } },
    async (req) => {
      const { requestId } = await core.verifications.send(callerOf(req), req.body);
      return { code: 200, message: 'OK', requestID: requestId };
    },
  );

  app.post(
    '/2fa/verify',
    { config, schema: { tags, summary: 'Verify a one-time code by requestId, or by service and number', security: security(AUTH), body: VerifyBody, response: { 200: Answer, ...errors } } },
    async (req) => {
      const { requestId } = await core.verifications.verify(callerOf(req), req.body);
      return { code: 200, message: 'OK', requestID: requestId };
    },
  );

  app.post(
    '/2fa/cancel',
    { config, schema: { tags, summary: 'Cancel a one-time code', security: security(AUTH), body: CancelBody, response: { 200: Answer, ...errors } } },
    async (req) => {
      const { requestId } = await core.verifications.cancel(callerOf(req), req.body);
      return { code: 200, message: 'canceled', requestID: requestId };
    },
  );

  await app.register(limitRoutes, { core });
  await app.register(recordRoutes, { core });
  await app.register(fraudRoutes, { core });
};
