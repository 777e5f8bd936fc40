/**
 * Phone lines (GET|POST /voiceconfig/phonelines, PUT|DELETE /voiceconfig/phonelines/{id}): a number,
 * the agents it rings, a greeting, a ring timeout and a no-answer fallback. PUT changes the fields
 * it is given. The site is the caller's own unless `siteId` names one it reaches.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import type { PhoneLine } from '../../core/voice/lines.js';
import { callerOf, security } from '../http/authenticate.js';
import { Id } from '../http/schemas.js';
import { AUTH, access, SiteQuery, Success, errors, tags } from './common.js';

const Speech = {
  text: Type.Optional(Type.String({ maxLength: 1000 })),
  language: Type.Optional(Type.String({ maxLength: 40, description: 'en-US, ja-JP…' })),
  voice: Type.Optional(Type.String({ maxLength: 64, description: 'man, woman, Polly.Joanna…' })),
};
const GreetingBody = Type.Object({
  type: Type.Union([Type.Literal('say'), Type.Literal('play'), Type.Literal('none')]),
  ...Speech,
  url: Type.Optional(Type.String({ maxLength: 500, description: 'audio file played, for type play' })),
});
const FallbackBody = Type.Object({
  type: Type.Union([Type.Literal('voicemail'), Type.Literal('forward'), Type.Literal('message')]),
  ...Speech,
  maxLength: Type.Optional(Type.Integer({ description: 'longest voicemail, seconds' })),
  number: Type.Optional(Type.String({ maxLength: 16, description: 'E.164 number calls are forwarded to' })),
});
const Fields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  phoneNumber: Type.String({ minLength: 1, maxLength: 16, description: "one of the site's Twilio numbers, E.164" }),
  agentIds: Type.Optional(Type.Array(Id, { maxItems: 100, description: 'agents whose browsers ring' })),
  greeting: Type.Optional(GreetingBody),
  ringTimeout: Type.Optional(Type.Integer({ description: 'seconds the agents ring (5–120, default 20)' })),
  fallback: Type.Optional(FallbackBody),
};
const CreateBody = Type.Object({ siteId: Type.Optional(Id), ...Fields });
const UpdateBody = Type.Object({
  name: Type.Optional(Fields.name),
  phoneNumber: Type.Optional(Fields.phoneNumber),
  agentIds: Fields.agentIds,
  greeting: Fields.greeting,
  ringTimeout: Fields.ringTimeout,
  fallback: Fields.fallback,
});

const Nullable = (t: ReturnType<typeof Type.String>) => Type.Union([t, Type.Null()]);
const LineView = Type.Object({
  id: Type.Integer(),
  siteId: Type.Integer(),
  name: Type.String(),
  phoneNumber: Type.String(),
  agentIds: Type.Array(Type.Integer()),
  greeting: Type.Object({ type: Type.String(), text: Type.Optional(Type.String()), language: Type.Optional(Nullable(Type.String())), voice: Type.Optional(Nullable(Type.String())), url: Type.Optional(Type.String()) }),
  ringTimeout: Type.Integer(),
  fallback: Type.Object({
    type: Type.String(),
    text: Type.Optional(Nullable(Type.String())),
    language: Type.Optional(Nullable(Type.String())),
    voice: Type.Optional(Nullable(Type.String())),
    maxLength: Type.Optional(Type.Integer()),
    number: Type.Optional(Type.String()),
  }),
  createdTime: Type.String({ format: 'date-time' }),
  updatedTime: Type.String({ format: 'date-time' }),
});
const view = (l: PhoneLine) => ({ ...l, createdTime: new Date(l.createdAt).toISOString(), updatedTime: new Date(l.updatedAt).toISOString() });
const Params = Type.Object({ id: Id });

export const phoneLineRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const lines = core.voice.lines;
  const schema = <T extends object>(s: T) => ({ tags, security: security(AUTH), ...s });

  app.get('/voiceconfig/phonelines', { config: access('voice.lines.read'), schema: schema({ summary: 'Get the list of Twilio Phone Lines', querystring: SiteQuery, response: { 200: Type.Array(LineView), ...errors } }) }, async (req) =>
    (await lines.list(callerOf(req), req.query.siteId)).map(view),
  );
  app.get('/voiceconfig/phonelines/:id', { config: access('voice.lines.read'), schema: schema({ summary: 'Get a Twilio Phone Line', params: Params, response: { 200: LineView, ...errors } }) }, async (req) =>
    view(await lines.get(callerOf(req), req.params.id)),
  );
  app.post('/voiceconfig/phonelines', { config: access('voice.lines.manage'), schema: schema({ summary: 'Create a Twilio Phone Line', querystring: SiteQuery, body: CreateBody, response: { 200: LineView, ...errors } }) }, async (req) =>
    view(await lines.create(callerOf(req), req.body.siteId ?? req.query.siteId, req.body)),
  );
  app.put('/voiceconfig/phonelines/:id', { config: access('voice.lines.manage'), schema: schema({ summary: 'Update the Twilio Phone Line (the fields given)', params: Params, body: UpdateBody, response: { 200: LineView, ...errors } }) }, async (req) =>
    view(await lines.update(callerOf(req), req.params.id, req.body)),
  );
  app.delete('/voiceconfig/phonelines/:id', { config: access('voice.lines.manage'), schema: schema({ summary: 'Delete the Twilio Phone Line', params: Params, response: { 200: Success, ...errors } }) }, async (req) => {
    await lines.remove(callerOf(req), req.params.id);
    return { result: 'success' as const };
  });
};
