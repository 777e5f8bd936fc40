/** Operations: liveness, readiness, metrics, the Flexisip ping, and the JWT verification keys. */
import type { FastifyPluginAsync } from 'fastify';
import { channelReadiness } from '../../channels/readiness.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Runtime } from '../../runtime.js';

const READY_TIMEOUT_MS = 2000;

export const opsFace: FastifyPluginAsync<{ runtime: Runtime; metrics: Metrics }> = async (app, { runtime, metrics }) => {
  app.get('/ping', { schema: { summary: 'Answers pong (Flexisip)', tags: ['operations'] } }, async (_req, reply) => {
    reply.type('text/plain');
    return 'pong';
  });

  app.get('/healthz', { schema: { summary: 'The process is up', tags: ['operations'] } }, async () => ({ status: 'ok' }));

  // Channels that cannot deliver (the outbox, none) are reported, not failed: the server still serves
  // everything else, and a load balancer must not drop it for that.
  const channels = channelReadiness(runtime.config);
  app.get('/readyz', { schema: { summary: 'Storage (and Redis, when configured) answers; which channels can deliver', tags: ['operations'] } }, async (_req, reply) => {
    try {
      await withTimeout(Promise.all([runtime.storage.ping(), runtime.state.ping()]), READY_TIMEOUT_MS);
      return { status: 'ready', channels };
    } catch {
      return reply.status(503).send({ status: 'unavailable', channels });
    }
  });

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'] } }, async (_req, reply) => {
    reply.type(metrics.contentType);
    return (await metrics.render()) + (await runtime.core.fraud.metricsText());
  });

  app.get('/.well-known/jwks.json', { schema: { summary: 'Public keys of the JWTs Gatehouse signs', tags: ['operations'] } }, async () =>
    runtime.core.credentials.jwks(),
  );
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}
