/**
 * Builds the HTTP app from a Runtime: logging, metrics, authentication, OpenAPI and every face.
 * The same function serves `gatehouse serve`, the tests and the benchmarks.
 */
import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { DestinationStream } from 'pino';
import { adminFace } from './faces/admin/routes.js';
import { comm100LoginFace } from './faces/comm100/login-face.js';
import { comm100TwoFactorFace } from './faces/comm100/routes.js';
import { devFace } from './faces/dev/routes.js';
import { registerAuthentication } from './faces/http/authenticate.js';
import { plainEnvelope } from './faces/http/plain-envelope.js';
import { useEnvelope } from './faces/http/errors.js';
import { opsFace } from './faces/ops/routes.js';
import { createMetrics } from './observability/metrics.js';
import type { Runtime } from './runtime.js';

export const BODY_LIMIT = 64 * 1024;

export interface ServerOptions {
  /** Where JSON logs go (stdout by default); tests pass a stream to read them. */
  logStream?: DestinationStream;
}

export async function buildServer(runtime: Runtime, options: ServerOptions = {}): Promise<FastifyInstance> {
  const { config, core } = runtime;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Belt and braces: nothing below logs headers or bodies, but if anything ever does, these go.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', '*.password', '*.code', '*.token', '*.authToken', '*.apiKey'],
        censor: '[redacted]',
      },
      serializers: { req: () => ({}), res: () => ({}) },
      ...(options.logStream && { stream: options.logStream }),
    },
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // One line per request, written by the onResponse hook below with no query string or body.
    logController: new LogController({ disableRequestLogging: true }),
    // additionalProperties: false in a schema means refuse, not silently drop.
    ajv: { customOptions: { removeAdditional: false } },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are JSON (or form-encoded, for Twilio's callbacks); text/plain is refused with 415.
  app.removeContentTypeParser('text/plain');
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: BODY_LIMIT });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Gatehouse', version: '0.1.0', description: 'One-time codes, TOTP, SIP accounts and Twilio voice in one self-hosted server.' },
      components: {
        securitySchemes: {
          basic: { type: 'http', scheme: 'basic', description: 'tenant SID and auth token' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          jwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  const metrics = createMetrics();
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    // The path only: query strings may carry tokens.
    const path = request.url.split('?', 1)[0];
    request.log.info({ method: request.method, path, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 }, 'request');
  });

  registerAuthentication(app, core);
  useEnvelope(app, plainEnvelope);
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?', 1)[0]}` } });
  });

  await app.register(opsFace, { runtime, metrics });
  await app.register(adminFace, { core });
  await app.register(devFace, { core });
  await app.register(comm100TwoFactorFace, { core });
  await app.register(comm100LoginFace, { core });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
