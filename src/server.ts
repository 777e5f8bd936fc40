/**
 * Builds the HTTP app from a Runtime: logging, metrics, authentication, OpenAPI and every face.
 * The same function serves `gatehouse serve`, the tests and the benchmarks.
 */
import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { DestinationStream } from 'pino';
import { CommonErrors, GatehouseError } from './core/errors.js';
import { adminFace } from './faces/admin/routes.js';
import { webhookRoutes } from './faces/admin/webhook-routes.js';
import { envelopeForPath } from './faces/envelopes.js';
import { comm100LoginFace } from './faces/comm100/login-face.js';
import { comm100TwoFactorFace } from './faces/comm100/routes.js';
import { devFace } from './faces/dev/routes.js';
import { flexisipFace } from './faces/flexisip/routes.js';
import { registrarFace } from './faces/flexisip/internal-routes.js';
import { registerAuthentication } from './faces/http/authenticate.js';
import { registerAuditTrail } from './faces/http/audit-trail.js';
import { plainEnvelope } from './faces/http/plain-envelope.js';
import { addSecurityHeaders } from './faces/http/security-headers.js';
import { documentOperations } from './faces/http/openapi-docs.js';
import { useEnvelope } from './faces/http/errors.js';
import { useInputRules } from './faces/http/input-rules.js';
import { lazyCompilers } from './faces/http/lazy-compilers.js';
import { opsFace } from './faces/ops/routes.js';
import { passkeyRoutes } from './faces/passkeys/routes.js';
import { smart2faFace } from './faces/smart2fa/routes.js';
import { webFace } from './faces/web/routes.js';
import { voiceFace } from './faces/voice/routes.js';
import { accessLog } from './observability/access-log.js';
import { type LogDestination, createLogDestination } from './observability/log-destination.js';
import { lazyChild } from './observability/lazy-logger.js';
import { createMetrics } from './observability/metrics.js';
import { activeTracing } from './observability/tracing.js';
import type { Runtime } from './runtime.js';

export const BODY_LIMIT = 64 * 1024;

/** The process's one log destination: stdout in batches, written out at exit. */
let stdoutLog: LogDestination | undefined;
function logDestination(): LogDestination {
  if (!stdoutLog) {
    const dest = createLogDestination(1);
    process.once('exit', () => dest.flushSync());
    stdoutLog = dest;
  }
  return stdoutLog;
}

/**
 * Request ids: a random prefix per process and a counter — unique across nodes for correlating log
 * lines, and cheaper than a UUID per request. A caller's own X-Request-Id is kept instead when it is
 * short and plain (it is written into every log line and echoed back, so nothing else is trusted).
 */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
function requestIds(): (req: { headers: Record<string, string | string[] | undefined> }) => string {
  const prefix = randomBytes(6).toString('hex');
  let n = 0;
  return (req) => {
    const given = req.headers['x-request-id'];
    return typeof given === 'string' && CALLER_REQUEST_ID.test(given) ? given : `${prefix}-${(++n).toString(36)}`;
  };
}

/** A URL's path without its query string: query strings may carry tokens, so neither logs nor answers echo them. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

const notFoundRoute = (method: string, path: string) => new GatehouseError(CommonErrors.notFound, `no route ${method} ${path}`);

const unreadablePath = (code: string) =>
  new GatehouseError(CommonErrors.validation, code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'path: a path parameter is longer than 100 characters' : 'path: is not a valid URL', { field: 'path' });

/** Answers a request no route took (unknown path, unreadable URL) in the envelope of the face its path belongs to. */
function answerUnrouted(error: GatehouseError, request: FastifyRequest, reply: FastifyReply) {
  const { status, body, headers } = envelopeForPath(pathOf(request.url))(error);
  if (headers) reply.headers(headers);
  reply.status(status).send(body);
}

export interface ServerOptions {
  /** Where JSON logs go (stdout by default); tests pass a stream to read them. */
  logStream?: DestinationStream;
}

export async function buildServer(runtime: Runtime, options: ServerOptions = {}): Promise<FastifyInstance> {
  const { config, core } = runtime;
  const logStream = options.logStream ?? logDestination();
  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Nothing logs headers or bodies: requests and replies serialise to nothing, and the one
      // access line per request (below) is built from the method, path, route and status only.
      serializers: { req: () => ({}), res: () => ({}) },
      stream: logStream,
    },
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy,
    requestIdHeader: false,
    genReqId: requestIds(),
    // One line per request, written by the onSend hook below (answered) with no query string or body.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger, bindings, options) => lazyChild(logger, bindings, options),
    // additionalProperties: false in a schema means refuse, not silently drop.
    // strictNumbers: Infinity and NaN are not numbers (1e309 in JSON, "Infinity" in a path or query).
    ajv: { customOptions: { removeAdditional: false, strictNumbers: true } },
    schemaController: { compilersFactory: lazyCompilers },
    return503OnClosing: true,
    // A client that sends its request slowly (or not at all) is cut off: it cannot hold a connection.
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs,
    // Node checks request timeouts on this interval (30 s by default, longer than a short timeout).
    http: { connectionsCheckingInterval: Math.min(30_000, Math.max(250, config.requestTimeoutMs / 4)), headersTimeout: Math.min(60_000, config.requestTimeoutMs) },
    // A URL the router refuses (a path parameter over 100 characters, bad percent-encoding) is
    // answered in the envelope of its path, without echoing the path.
    frameworkErrors: (error, request, reply) => answerUnrouted(unreadablePath(error.code), request, reply),
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();
  // With traces on, a span per request, registered first so that every route it wraps comes after it.
  const tracing = activeTracing();
  if (tracing) await app.register(tracing.fastifyPlugin);

  // Bodies are JSON (or form-encoded, for Twilio's callbacks); text/plain is refused with 415.
  app.removeContentTypeParser('text/plain');
  // Clients (curl examples in the specs, Linphone) send `content-type: application/json` on a DELETE or
  // PUT with no body at all: that is an empty object, not a malformed body. Everything else parses as before.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, {});
    else parseJson(request, body as string, done);
  });
  // Cookies are parsed only where a route reads them (faces/http/cookies.ts), not on every request.
  await app.register(cookie, { hook: false });
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
          digest: { type: 'http', scheme: 'digest', description: 'SIP account, RFC 7616 (MD5 or SHA-256); start with a From: sip:user@domain header' },
        },
      },
    },
    transformObject: (documents) => documentOperations('openapiObject' in documents ? documents.openapiObject : documents.swaggerObject),
  });
  // Swagger UI's policy says upgrade-insecure-requests, which turns every asset of /docs into https
  // when it is opened over plain HTTP from any host but localhost: a white page. The assets are ours.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, transformStaticCSP: (csp) => csp.replace(/\s*upgrade-insecure-requests;?/, '') });

  const metrics = createMetrics(runtime.metrics, () => runtime.core.queue.stats());
  const logRequest = accessLog(logStream, ['trace', 'debug', 'info'].includes(app.log.level));
  /**
   * The metrics and the access line of an answer, counted when it is ready to leave: in the one onSend
   * hook, after its writes are committed. An onResponse hook of its own cost every request 4-6 µs
   * (GET /ping: 26 -> 19 µs of CPU without it); `ms` is the time to the answer, not to its last byte.
   */
  const answered = (request: FastifyRequest, reply: FastifyReply) => {
    // routeOptions builds a new object on every read: read once.
    const { url, config } = request.routeOptions;
    const route = url ?? 'unmatched';
    const elapsed = reply.elapsedTime;
    metrics.observe(request.method, route, reply.statusCode, elapsed / 1000);
    // A route whose path carries a secret (a token in a segment) is logged by its pattern only.
    const path = config.secretPath ? route : pathOf(request.url);
    logRequest?.({ reqId: request.id, method: request.method, path, route, status: reply.statusCode, ms: Math.round(elapsed * 100) / 100 });
  };

  // Requests in flight when shutdown starts finish normally, but their connections must not carry
  // another request: Node stops reading new requests once the server closes, and the client would wait.
  let closing = false;
  // The delivery queue's workers run in a server, not in a CLI command: started once the app is
  // ready, stopped (their deliveries in flight recorded) when it closes, before storage closes.
  app.addHook('onReady', () => core.queue.start());
  app.addHook('onClose', () => core.queue.stop());
  app.addHook('preClose', (done) => {
    closing = true;
    // An answer whose onSend hook decided before this moment (the audit trail records after it, see
    // faces/http/audit-trail.ts) still leaves keep-alive, and the server would wait the full keep-alive
    // time (72 s) for that client before it closes. A connection that finishes an answer from now on
    // is closed after a second instead; the clients read the same from the answer's Keep-Alive header.
    app.server.keepAliveTimeout = 1000;
    done();
  });
  const { statements } = runtime.storage;
  // The one onSend hook of the app: each hook costs every answer a round of Fastify's hook runner.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
    addSecurityHeaders(request, reply);
    // No answer leaves before the writes made for it are committed (SQLite group commit, statements.ts).
    // A failed commit is answered (and counted) as the 500 the error handler sends through here again.
    const durable = statements.durable();
    if (durable) {
      durable.then(() => {
        answered(request, reply);
        done(null, payload);
      }, done);
    } else {
      answered(request, reply);
      done(null, payload);
    }
  });

  registerAuthentication(app, core);
  registerAuditTrail(app, core);
  useInputRules(app);
  useEnvelope(app, plainEnvelope);
  app.setNotFoundHandler((request, reply) => answerUnrouted(notFoundRoute(request.method, pathOf(request.url)), request, reply));

  await app.register(opsFace, { runtime, metrics });
  await app.register(adminFace, { core });
  await app.register(devFace, { core });
  await app.register(comm100TwoFactorFace, { core });
  await app.register(comm100LoginFace, { core });
  await app.register(smart2faFace, { core });
  await app.register(webFace, { core });
  await app.register(passkeyRoutes, { core });
  await app.register(voiceFace, { core });
  await app.register(flexisipFace, { core });
  await app.register(registrarFace, { core });
  await app.register(webhookRoutes, { core });
  // Codes that expire while pending raise verification.expired, found by a sweep (core/events/expiry-sweep.ts).
  app.addHook('onReady', async () => core.expiredEvents.start());
  app.addHook('onClose', () => core.expiredEvents.stop());
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
