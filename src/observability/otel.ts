/**
 * The OpenTelemetry SDK and @fastify/otel, loaded only when traces are on (tracing.ts imports this
 * file dynamically). Spans are batched to OTLP/HTTP at <endpoint>/v1/traces, or sent one by one to the
 * exporter a test gives.
 */
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { FastifyPluginCallback } from 'fastify';
import type { Config } from '../config.js';
import type { Tracing } from './tracing.js';

/** A URL's path without its query string, which may carry a token. */
const pathOf = (url: string) => url.split('?', 1)[0]!;

export function createTracing(otel: NonNullable<Config['otel']>, exporter?: SpanExporter): Tracing {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': otel.serviceName }),
    spanProcessors: [exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otel.endpoint}/v1/traces` }))],
  });
  // The global provider, AsyncLocalStorage context and W3C trace context propagation: a caller's
  // traceparent header makes the request span its child.
  provider.register();
  const tracer = provider.getTracer('gatehouse');
  const instrumentation = new FastifyOtelInstrumentation({
    registerOnInitialization: false,
    // @fastify/otel records the URL as it came, query string included; a route whose path carries a
    // secret (a token in a segment) is recorded by its pattern.
    requestHook: (span, request) => {
      const route = request.routeOptions;
      span.setAttribute('url.path', (route.config as { secretPath?: boolean } | undefined)?.secretPath ? (route.url ?? 'unmatched') : pathOf(request.url));
    },
  });
  instrumentation.setTracerProvider(provider);
  return {
    span: (name, attributes, fn) =>
      tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
        try {
          return await fn();
        } catch (err) {
          // The error's name only: a message may quote a value (a driver's error about a row).
          span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
          throw err;
        } finally {
          span.end();
        }
      }),
    fastifyPlugin: instrumentation.plugin() as unknown as FastifyPluginCallback,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
