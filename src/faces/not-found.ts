/**
 * An unknown path answers in the envelope of the face that owns its prefix, so a client of one
 * specification never meets another's error shape. The longest matching prefix wins; a path no
 * face owns gets Gatehouse's own envelope. A face with its own not-found handler (registered in its
 * plugin under a route prefix) answers its paths itself and needs no row here.
 */
import type { FastifyInstance } from 'fastify';
import { CommonErrors, GatehouseError } from '../core/errors.js';
import { comm100Envelope } from './comm100/envelope.js';
import type { Envelope } from './http/errors.js';
import { plainEnvelope } from './http/plain-envelope.js';
import { smart2faEnvelope } from './smart2fa/envelope.js';

type ToEnvelope = (error: GatehouseError) => Envelope;

const COMM100_PREFIXES = ['/global/', '/partnerglobal/', '/globalapi/', '/partnerglobalapi/', '/loginapi/', '/partnerloginapi/', '/voicetwilio/', '/voiceconfig/'];

/** prefix → envelope. Comm100 v1 keeps three paths under Smart 2FA's /2fa/. */
export const NOT_FOUND_ENVELOPES: ReadonlyArray<readonly [string, ToEnvelope]> = (
  [
    ['/2fa/', smart2faEnvelope],
    ['/2fa/secretkey', comm100Envelope],
    ['/2fa/code', comm100Envelope],
    ...COMM100_PREFIXES.map((prefix) => [prefix, comm100Envelope] as const),
  ] as Array<readonly [string, ToEnvelope]>
).sort((a, b) => b[0].length - a[0].length);

export function envelopeForPath(path: string): ToEnvelope {
  return NOT_FOUND_ENVELOPES.find(([prefix]) => path.startsWith(prefix))?.[1] ?? plainEnvelope;
}

export function registerNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const q = request.url.indexOf('?');
    const path = q < 0 ? request.url : request.url.slice(0, q);
    const { status, body, headers } = envelopeForPath(path)(new GatehouseError(CommonErrors.notFound, `no route ${request.method} ${path}`));
    if (headers) reply.headers(headers);
    reply.status(status).send(body);
  });
}
