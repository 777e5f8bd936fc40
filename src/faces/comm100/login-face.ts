/**
 * The Comm100 login flow, trusted devices and the audit trail, in one plugin scope with the
 * Comm100 envelope, beside the 2FA management plugin (routes.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import { notAuditedRoutes } from '../http/audit-trail.js';
import { useEnvelope } from '../http/errors.js';
import { comm100Envelope } from './envelope.js';
import { loginAuditRoutes } from './login-audit-routes.js';
import { loginRoutes } from './login-routes.js';
import { trustedDevicesRoutes } from './trusted-devices-routes.js';

export const comm100LoginFace: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  useEnvelope(app, comm100Envelope);
  // Every post of the login flow is a login step: the login audit has them, the admin audit trail does not.
  await app.register(notAuditedRoutes('login', loginRoutes), { core });
  await app.register(trustedDevicesRoutes, { core });
  await app.register(loginAuditRoutes, { core });
};
