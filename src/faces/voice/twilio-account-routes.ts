/**
 * A site's own Twilio account (GET|PUT|DELETE /voiceconfig/twilioaccount): for a tenant that brings
 * its own. Its auth token and API key secret are sealed at rest and never answered.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import type { TwilioAccountView } from '../../core/voice/twilio-accounts.js';
import { callerOf, security } from '../http/authenticate.js';
import { Id } from '../http/schemas.js';
import { AUTH, access, SiteQuery, Success, errors, tags } from './common.js';

const Body = Type.Object({
  siteId: Type.Optional(Id),
  accountSid: Type.String({ maxLength: 34 }),
  authToken: Type.String({ maxLength: 64, description: 'checks the signature of this account\'s webhooks' }),
  apiKeySid: Type.Optional(Type.String({ maxLength: 34 })),
  apiKeySecret: Type.Optional(Type.String({ maxLength: 64 })),
  twimlAppSid: Type.Optional(Type.String({ maxLength: 34 })),
});
const View = Type.Object({
  siteId: Type.Integer(),
  accountSid: Type.String(),
  apiKeySid: Type.Union([Type.String(), Type.Null()]),
  twimlAppSid: Type.Union([Type.String(), Type.Null()]),
  hasApiKey: Type.Boolean(),
  updatedTime: Type.String({ format: 'date-time' }),
});
const view = ({ updatedAt, ...v }: TwilioAccountView) => ({ ...v, updatedTime: new Date(updatedAt).toISOString() });

export const twilioAccountRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const accounts = core.voice.accounts;
  const schema = <T extends object>(s: T) => ({ tags, security: security(AUTH), ...s });

  app.get('/voiceconfig/twilioaccount', { config: access('voice.account.manage'), schema: schema({ summary: "The site's own Twilio account (never its secrets)", querystring: SiteQuery, response: { 200: View, ...errors } }) }, async (req) =>
    view(await accounts.getOwn(callerOf(req), req.query.siteId)),
  );
  app.put('/voiceconfig/twilioaccount', { config: access('voice.account.manage'), schema: schema({ summary: 'Bring (or replace) the site\'s own Twilio account', querystring: SiteQuery, body: Body, response: { 200: View, ...errors } }) }, async (req) =>
    view(await accounts.setOwn(callerOf(req), req.body.siteId ?? req.query.siteId, req.body)),
  );
  app.delete('/voiceconfig/twilioaccount', { config: access('voice.account.manage'), schema: schema({ summary: "Go back to the deployment's Twilio account", querystring: SiteQuery, response: { 200: Success, ...errors } }) }, async (req) => {
    await accounts.removeOwn(callerOf(req), req.query.siteId);
    return { result: 'success' as const };
  });
};
