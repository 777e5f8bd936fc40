/**
 * OpenTelemetry traces, on when OTEL_EXPORTER_OTLP_ENDPOINT is set. Only then is the SDK loaded (a
 * dynamic import of otel.ts, which holds every OpenTelemetry import); otherwise traced() calls its
 * function and nothing else, so a server without a collector carries none of it.
 *
 * Spans: one per request (@fastify/otel, registered by server.ts), and inside it one per storage query
 * (Kysely's and the prepared hot-path statements, storage/traced-storage.ts), per Redis command
 * (state/redis-state.ts; shared state in SQL is storage) and per provider call (Twilio, SMTP: each
 * channel's send, wrapped where the runtime opens them).
 * Attributes name what ran (SQL text with its placeholders, the operation, the channel and provider),
 * never a value: no code, token, secret or destination reaches a span.
 */
import type { FastifyPluginCallback } from 'fastify';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config.js';

export type Attributes = Record<string, string | number | boolean>;

export interface Tracing {
  /** Runs fn inside a span (a child of the request's), ended when fn settles and marked as an error if it throws. */
  span<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T>;
  /** The span of each request (@fastify/otel). */
  fastifyPlugin: FastifyPluginCallback;
  /** Sends the spans still buffered. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

let tracing: Tracing | null = null;

/** The process's tracing, or null when traces are off. */
export const activeTracing = (): Tracing | null => tracing;

export function traced<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  return tracing ? tracing.span(name, attributes, fn) : fn();
}

/**
 * Starts tracing once per process when the configuration asks for it (a second call answers the
 * first's). exporter: where spans go instead of OTLP (the tests' in-memory exporter).
 */
export async function startTracing(otel: Config['otel'], exporter?: SpanExporter): Promise<Tracing | null> {
  if (!otel || tracing) return tracing;
  const { createTracing } = await import('./otel.js');
  tracing = createTracing(otel, exporter);
  return tracing;
}

/** Sends what is buffered and stops tracing (a test, or the end of the process). */
export async function stopTracing(): Promise<void> {
  const t = tracing;
  tracing = null;
  await t?.shutdown();
}

/** An object whose methods each run in a span named `${prefix} ${method}`; the same object when traces are off. */
export function tracedMethods<T extends object>(target: T, prefix: string, attributes: Attributes): T {
  if (!tracing) return target;
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver) as unknown;
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      return (...args: unknown[]) => traced(`${prefix} ${key}`, attributes, async () => (value as (...a: unknown[]) => unknown).apply(object, args));
    },
  });
}
