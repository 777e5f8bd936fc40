/**
 * The Twilio numbers a caller may put on lines (GET /voiceconfig/phonenumbers), whether a line uses
 * each, and an admin's assignment of the deployment's numbers to sites.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import { callerOf, security } from '../http/authenticate.js';
import { Id } from '../http/schemas.js';
import { AUTH, access, SiteQuery, errors, tags } from './common.js';

const NumberView = Type.Object({
  sid: Type.String(),
  phoneNumber: Type.String(),
  friendlyName: Type.String(),
  capabilities: Type.Object({ voice: Type.Boolean(), sms: Type.Boolean() }),
  assignedSiteId: Type.Union([Type.Integer(), Type.Null()]),
  inUse: Type.Boolean(),
  lineId: Type.Union([Type.Integer(), Type.Null()]),
  lineName: Type.Union([Type.String(), Type.Null()]),
});
const NumberParams = Type.Object({ phoneNumber: Type.String({ pattern: '^\\+[1-9][0-9]{1,14}$', description: 'E.164' }) });
const Assignment = Type.Object({ phoneNumber: Type.String(), siteId: Type.Union([Type.Integer(), Type.Null()]) });

export const phoneNumberRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const numbers = core.voice.numbers;
  const schema = <T extends object>(s: T) => ({ tags, security: security(AUTH), ...s });

  app.get('/voiceconfig/phonenumbers', { config: access('voice.numbers.read'), schema: schema({ summary: 'Get the list of Twilio Phone Numbers', querystring: SiteQuery, response: { 200: Type.Array(NumberView), ...errors } }) }, async (req) =>
    (await numbers.list(callerOf(req), req.query.siteId)).map(({ voice, sms, ...n }) => ({ ...n, capabilities: { voice, sms } })),
  );
  app.put('/voiceconfig/phonenumbers/:phoneNumber', { config: access('voice.numbers.assign'), schema: schema({ summary: "Assign one of the deployment's numbers to a site (admin)", params: NumberParams, body: Type.Object({ siteId: Id }), response: { 200: Assignment, ...errors } }) }, async (req) =>
    numbers.assign(callerOf(req), req.params.phoneNumber, req.body.siteId),
  );
  app.delete('/voiceconfig/phonenumbers/:phoneNumber', { config: access('voice.numbers.assign'), schema: schema({ summary: 'Take a number back from its site (admin)', params: NumberParams, response: { 200: Assignment, ...errors } }) }, async (req) =>
    numbers.assign(callerOf(req), req.params.phoneNumber, null),
  );
};
