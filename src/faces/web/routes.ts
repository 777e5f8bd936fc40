/**
 * The web face: pages people use in a browser, served by the same process as the APIs. Every form
 * post comes from this server's own pages and carries the CSRF token (both checked here, before any
 * handler); pages call core, never storage.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import { refuseCrossSiteCookie } from '../http/authenticate.js';
import { identifyCallers, notAuditedRoutes } from '../http/audit-trail.js';
import { useEnvelope } from '../http/errors.js';
import { WEB_CSS } from './assets.js';
import { checkCsrf } from './cookies.js';
import { consoleAudit } from './console-audit.js';
import { consolePages } from './console-pages.js';
import { consoleCredentials } from './console-credentials.js';
import { consoleRecords } from './console-records.js';
import { consoleSip } from './console-sip.js';
import { consoleFraud } from './console-fraud.js';
import { consoleVoice } from './console-voice.js';
import { consoleDelivery } from './console-delivery.js';
import { consoleWebhooks } from './console-webhooks.js';
import { loginPages } from './login-pages.js';
import { passkeyPages } from './passkey-pages.js';
import { passwordPages } from './password-pages.js';
import { pageEnvelope } from './respond.js';
import { securityPages } from './security-pages.js';
import { consoleCaller } from './session.js';

export const webFace: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  useEnvelope(app, pageEnvelope);
  // The admin audit trail's "who" of a post refused before its handler found it (the console's key cookie is sent to /console only).
  identifyCallers(app, (request) => consoleCaller(core, request));
  // Every page authenticates by cookie (the session, the console's key, the sign-in in progress): a
  // post another site sends is refused before anything else, by the rule every face shares.
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      refuseCrossSiteCookie(request);
      done();
    } catch (err) {
      done(err as Error);
    }
  });
  // Before validation: a post without the token is refused as such, whatever else is wrong with it.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.method !== 'POST') return done();
    try {
      checkCsrf(core, request, (request.body as Record<string, unknown> | undefined)?._csrf);
      done();
    } catch (err) {
      done(err as Error);
    }
  });

  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect('/login', 302));
  app.get('/assets/web.css', { schema: { hide: true } }, (_request, reply) => {
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(WEB_CSS);
  });

  await app.register(notAuditedRoutes('login', loginPages), { core });
  await app.register(securityPages, { core });
  await app.register(passkeyPages, { core });
  await app.register(passwordPages, { core });
  await app.register(consolePages, { core });
  await app.register(consoleRecords, { core });
  await app.register(consoleSip, { core });
  await app.register(consoleFraud, { core });
  await app.register(consoleVoice, { core });
  await app.register(consoleAudit, { core });
  await app.register(consoleDelivery, { core });
  await app.register(consoleWebhooks, { core });
  await app.register(consoleCredentials, { core });
};
