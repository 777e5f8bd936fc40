/**
 * Turns anything a route can throw — Fastify's own validation and parsing errors included — into a
 * GatehouseError, so each face maps one kind of error to its envelope. A database or Redis that
 * cannot be reached is "unavailable" (503, one log line). Unknown errors become "internal": logged
 * with their stack, answered without it.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors, GatehouseError } from '../../core/errors.js';
import { GuessingErrors } from '../../core/guessing/errors.js';
import { isUnavailable } from '../../storage/errors.js';

export function toGatehouseError(err: unknown, request: FastifyRequest): GatehouseError {
  if (err instanceof GatehouseError) return err;
  const e = err as FastifyError & { validation?: Array<{ instancePath: string; message?: string; params?: Record<string, unknown> }> };
  if (e.validation && e.validation.length > 0) {
    const first = e.validation[0]!;
    const missing = first.params?.missingProperty as string | undefined;
    const extra = first.params?.additionalProperty as string | undefined;
    const pathField = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const field = missing ? (pathField ? `${pathField}.${missing}` : missing) : extra ?? (pathField || e.validationContext || 'body');
    const allowed = first.params?.allowedValues as unknown[] | undefined;
    const message = missing
      ? 'is required'
      : extra
        ? 'is not a known field'
        : allowed
          ? `must be one of ${allowed.join(', ')}`
          : first.message ?? 'is invalid';
    return new GatehouseError(CommonErrors.validation, `${field}: ${message}`, { field });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatehouseError(CommonErrors.payloadTooLarge, 'the request body is larger than 64 KiB');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatehouseError(CommonErrors.unsupportedMediaType, `content type ${request.headers['content-type'] ?? '(none)'} is not accepted; send application/json`);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new GatehouseError(CommonErrors.validation, 'body: is not valid JSON', { field: 'body' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatehouseError(CommonErrors.validation, 'body: its length does not match Content-Length', { field: 'body' });
  }
  if (err instanceof SyntaxError || (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)) {
    return new GatehouseError(CommonErrors.validation, e.message || 'bad request');
  }
  if (isUnavailable(err)) {
    request.log.warn({ reason: e.message }, 'storage or shared state unavailable');
    return new GatehouseError(CommonErrors.unavailable, 'storage is unavailable, try again shortly');
  }
  request.log.error({ err }, 'unhandled error');
  return new GatehouseError(CommonErrors.internal, 'internal error');
}

export interface Envelope {
  status: number;
  body: unknown;
  headers?: Record<string, string | string[]>;
}

/** The HTTP status that a common error code carries in faces that use plain HTTP semantics. */
export const COMMON_STATUS: Record<string, number> = {
  [CommonErrors.validation]: 400,
  [CommonErrors.unauthenticated]: 401,
  [CommonErrors.forbidden]: 403,
  [CommonErrors.notFound]: 404,
  [CommonErrors.conflict]: 409,
  [CommonErrors.payloadTooLarge]: 413,
  [CommonErrors.unsupportedMediaType]: 415,
  [CommonErrors.unavailable]: 503,
  [CommonErrors.internal]: 500,
  [GuessingErrors.refused]: 429,
};

/** Installs a face's error mapping on its plugin scope (hooks, parsing and handlers alike). */
export function useEnvelope(app: FastifyInstance, toEnvelope: (error: GatehouseError) => Envelope): void {
  app.setErrorHandler((err, request, reply: FastifyReply) => {
    const error = toGatehouseError(err, request);
    // The admin audit trail records a refusal with its code (audit-trail.ts).
    request.refusal = error.code;
    const { status, body, headers } = toEnvelope(error);
    if (headers) reply.headers(headers);
    // Every face says when a refused client may try again, whether or not its envelope does.
    const retryAfter = error.details?.retryAfter;
    if (status === 429 && typeof retryAfter === 'number' && !reply.hasHeader('retry-after')) reply.header('retry-after', String(retryAfter));
    return reply.status(status).send(body);
  });
}
