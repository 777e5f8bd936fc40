/**
 * The Flexisip account manager face (flexisip-account-manager-api.md), under /api: one route file
 * per section of the spec and one envelope; unknown /api paths answer in it too (faces/envelopes.ts).
 * Part 2's sections register here too.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import { useEnvelope } from '../http/errors.js';
import { accountsAdminRoutes } from './accounts-admin-routes.js';
import { accountsMeRoutes } from './accounts-me-routes.js';
import { accountsPublicRoutes } from './accounts-public-routes.js';
import { apiKeyRoutes } from './api-key-routes.js';
import { tags } from './common.js';
import { devicesRoutes } from './devices-routes.js';
import { emailRoutes } from './email-routes.js';
import { flexisipEnvelope } from './envelope.js';
import { phoneRoutes } from './phone-routes.js';
import { tokensRoutes } from './tokens-routes.js';
import { accountTypesRoutes } from './account-types-routes.js';
import { actionsRoutes } from './actions-routes.js';
import { contactsListsRoutes } from './contacts-lists-routes.js';
import { contactsRoutes } from './contacts-routes.js';
import { dictionaryRoutes } from './dictionary-routes.js';
import { messagesRoutes } from './messages-routes.js';
import { statisticsRoutes } from './statistics-routes.js';
import { vcardRoutes } from './vcard-routes.js';

export interface FlexisipRouteOptions {
  core: Core;
}

/** Every section of the API; part 2 appends its route files here. */
export const FLEXISIP_SECTIONS: FastifyPluginAsync<FlexisipRouteOptions>[] = [
  tokensRoutes,
  accountsPublicRoutes,
  apiKeyRoutes,
  accountsMeRoutes,
  accountsAdminRoutes,
  emailRoutes,
  phoneRoutes,
  devicesRoutes,
  contactsRoutes,
  dictionaryRoutes,
  actionsRoutes,
  contactsListsRoutes,
  accountTypesRoutes,
  messagesRoutes,
  statisticsRoutes,
];

const api: FastifyPluginAsync<FlexisipRouteOptions> = async (app, { core }) => {
  useEnvelope(app, flexisipEnvelope);

  app.get('/ping', { schema: { tags, summary: 'Ping (Public)', response: { 200: Type.String() } } }, async (_req, reply) => {
    reply.type('text/plain; charset=utf-8');
    return 'pong';
  });

  for (const section of FLEXISIP_SECTIONS) await app.register(section, { core });
};

export const flexisipFace: FastifyPluginAsync<FlexisipRouteOptions> = async (app, options) => {
  await app.register(api, { ...options, prefix: '/api' });
  await app.register(vcardRoutes, options);
};
