/**
 * The Comm100 voice face (comm100-voice-and-endlogin.md): Twilio client tokens, the voice, status and
 * fallback webhooks, Twilio phone numbers and phone lines, plus the call records and a site's own
 * Twilio account the document leaves to design. Errors are the Comm100 envelope.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import { useEnvelope } from '../http/errors.js';
import { callRecordRoutes } from './call-record-routes.js';
import { voiceEnvelope } from './envelope.js';
import { phoneLineRoutes } from './phone-line-routes.js';
import { phoneNumberRoutes } from './phone-number-routes.js';
import { tokenRoutes } from './token-routes.js';
import { twilioAccountRoutes } from './twilio-account-routes.js';
import { webhookRoutes } from './webhook-routes.js';

export const voiceFace: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  useEnvelope(app, voiceEnvelope);
  await app.register(tokenRoutes, { core });
  await app.register(webhookRoutes, { core });
  await app.register(phoneNumberRoutes, { core });
  await app.register(phoneLineRoutes, { core });
  await app.register(callRecordRoutes, { core });
  await app.register(twilioAccountRoutes, { core });
};
