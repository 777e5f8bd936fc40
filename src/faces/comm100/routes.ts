/**
 * The Comm100 face's 2FA management endpoints (both documents), in one plugin scope with the
 * Comm100 envelope. The login flow registers its own plugin beside this one with the same envelope.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import { useEnvelope } from '../http/errors.js';
import { backupCodeRoutes } from './backup-code-routes.js';
import { configRoutes } from './config-routes.js';
import { comm100Envelope } from './envelope.js';
import { secretRoutes } from './secret-routes.js';
import { siteConfigRoutes } from './site-config-routes.js';

export const comm100TwoFactorFace: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  useEnvelope(app, comm100Envelope);
  // Several POSTs name their account in the query or not at all: an absent body is an empty one.
  app.addHook('preValidation', async (request) => {
    if ((request.method === 'POST' || request.method === 'PUT') && (request.body === undefined || request.body === null)) request.body = {};
  });
  await app.register(secretRoutes, { core });
  await app.register(configRoutes, { core });
  await app.register(backupCodeRoutes, { core });
  await app.register(siteConfigRoutes, { core });
};
