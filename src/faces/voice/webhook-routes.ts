/**
 * Twilio's voice webhooks: the voice URL (TwiML for every call), the status callback (call records)
 * and the fallback URL. Public routes: each is accepted only with a valid X-Twilio-Signature over the
 * URL Twilio requested (GATEHOUSE_PUBLIC_URL + path + query string) and the form, else 403.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Core } from '../../core/core.js';
import { FALLBACK_PATH, STATUS_CALLBACK_PATH, VOICE_PATH } from '../../core/voice/webhooks.js';
import { Id } from '../http/schemas.js';
import { errors, tags } from './common.js';

const Form = Type.Record(Type.String(), Type.String({ maxLength: 2000 }));
const TwiML = { description: 'TwiML', content: { 'text/xml': { schema: Type.String() } } };
const Empty = { description: 'accepted', content: { 'text/xml': { schema: Type.String() } } };

export const webhookRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const origin = (req: FastifyRequest) => `${req.protocol}://${req.host}`;
  const signed = (req: FastifyRequest, form: Record<string, string>) => {
    const header = req.headers['x-twilio-signature'];
    return core.voice.webhooks.verify((core.deps.config.publicUrl ?? origin(req)) + req.url, form, Array.isArray(header) ? header[0] : header);
  };

  app.post(
    VOICE_PATH,
    {
      config: { notAudited: 'callback' },
      schema: {
        tags, summary: 'Twilio Voice Callback URL: TwiML for incoming calls to a line and agents\' outgoing calls',
        querystring: Type.Object({ dialed: Type.Optional(Id), recorded: Type.Optional(Id) }),
        body: Form,
        response: { 200: TwiML, ...errors },
      },
    },
    async (req, reply) => {
      const account = await signed(req, req.body);
      const xml = await core.voice.webhooks.voice(req.body, req.query, account, origin(req));
      return reply.type('text/xml; charset=utf-8').send(xml);
    },
  );

  app.post(
    STATUS_CALLBACK_PATH,
    { config: { notAudited: 'callback' }, schema: { tags, summary: 'Twilio Voice Status Callback URL: keeps the call records', body: Form, response: { 200: Empty, ...errors } } },
    async (req, reply) => {
      const account = await signed(req, req.body);
      await core.voice.calls.applyStatus(req.body, account);
      return reply.type('text/xml; charset=utf-8').send('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    },
  );

  app.post(
    FALLBACK_PATH,
    { config: { notAudited: 'callback' }, schema: { tags, summary: 'Twilio Voice Fallback URL: an apology and hang-up, and the error recorded', body: Form, response: { 200: TwiML, ...errors } } },
    async (req, reply) => {
      const account = await signed(req, req.body);
      const xml = await core.voice.webhooks.fallback(req.body, account);
      return reply.type('text/xml; charset=utf-8').send(xml);
    },
  );
};
