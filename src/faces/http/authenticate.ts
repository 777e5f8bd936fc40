/**
 * The one authentication layer: reads the credentials a route accepts (config.auth) and asks core
 * for the Caller. Routes without config.auth are public. Digest (SIP accounts) challenges a request
 * that brings no credentials at all, when the route accepts it.
 */
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Caller } from '../../core/callers.js';
import type { Core } from '../../core/core.js';
import { unauthenticated } from '../../core/errors.js';
import { readCookie } from './cookies.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

export type AuthScheme = 'basic' | 'apiKey' | 'jwt' | 'digest';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** The credentials this route accepts; absent means public. */
    auth?: AuthScheme[];
    /** The path holds a secret (a token as a segment): logs show the route pattern instead. */
    secretPath?: boolean;
  }
}

export function registerAuthentication(app: FastifyInstance, core: Core): void {
  app.decorateRequest('caller', null);
  const hook: onRequestHookHandler = (request, _reply, done) => {
    authenticate(core, request, request.routeOptions.config.auth!).then(
      (caller) => {
        request.caller = caller;
        done();
      },
      (err) => done(err),
    );
  };
  // Attached to the routes that declare config.auth only: public routes (/ping, login) run no hook.
  app.addHook('onRoute', (route) => {
    if (!route.config?.auth) return;
    const own = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
    route.onRequest = [hook, ...own];
  });
}

async function authenticate(core: Core, request: FastifyRequest, schemes: AuthScheme[]): Promise<Caller> {
  const authorization = request.headers.authorization;
  if (authorization) {
    const space = authorization.indexOf(' ');
    const scheme = (space > 0 ? authorization.slice(0, space) : authorization).toLowerCase();
    const value = space > 0 ? authorization.slice(space + 1).trim() : '';
    if (scheme === 'basic' && schemes.includes('basic')) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // A SID and a token are printable; a control character (a NUL cannot even reach PostgreSQL) is malformed.
      if (colon < 1 || CONTROL.test(decoded)) throw unauthenticated('malformed Basic credentials');
      return core.credentials.authenticateBasic(decoded.slice(0, colon).trim(), decoded.slice(colon + 1));
    }
    if (scheme === 'bearer' && schemes.includes('jwt')) {
      if (!value) throw unauthenticated('empty bearer token');
      return core.credentials.authenticateJwt(value);
    }
    if (scheme === 'digest' && schemes.includes('digest')) {
      return core.sip.authenticate({ credentials: value, method: request.method, uri: request.url, from: header(request, 'from') });
    }
    throw unauthenticated(`this endpoint does not accept ${scheme} credentials`);
  }
  if (schemes.includes('apiKey')) {
    const header = request.headers['x-api-key'];
    const key = (Array.isArray(header) ? header[0] : header) ?? readCookie(request, 'x-api-key');
    if (key) return core.credentials.authenticateApiKey(key);
  }
  if (schemes.includes('digest')) return core.sip.challenge(header(request, 'from'));
  throw unauthenticated('credentials are required');
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The caller of an authenticated route (the hook guarantees it). */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw unauthenticated();
  return request.caller;
}

/** OpenAPI security requirement for a set of schemes. */
export function security(schemes: AuthScheme[]) {
  return schemes.map((s) => ({ [s]: [] }));
}
