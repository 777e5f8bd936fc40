/**
 * The spec's non-API URLs (User): the account's contacts as vCard 4.0, at the root path, not under
 * /api. Errors still answer in the Flexisip shape, Digest challenges included.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { callerOf, security } from '../http/authenticate.js';
import { useEnvelope } from '../http/errors.js';
import { USER, errors, tags, asUser } from './common.js';
import { SipParams } from './directory-common.js';
import { flexisipEnvelope } from './envelope.js';
import type { FlexisipRouteOptions } from './routes.js';

const VCARD = 'text/vcard; charset=utf-8';

export const vcardRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  useEnvelope(app, flexisipEnvelope);
  const self = core.flexisip.access.selfOf;
  const config = asUser('accounts.read');
  const base = { tags, security: security(USER) };

  app.get('/contacts/vcard', { config, schema: { ...base, summary: 'The account\'s contacts as vCard 4.0 (User)', produces: ['text/vcard'], response: { 200: Type.String(), ...errors } } }, async (req, reply) => {
    reply.type(VCARD);
    return core.sipDirectory.vcardsOf(self(callerOf(req)));
  });

  app.get('/contacts/vcard/:sip', { config, schema: { ...base, summary: 'One contact as vCard 4.0 (User)', params: SipParams, produces: ['text/vcard'], response: { 200: Type.String(), ...errors } } }, async (req, reply) => {
    reply.type(VCARD);
    return core.sipDirectory.vcardOf(self(callerOf(req)), req.params.sip);
  });
};
