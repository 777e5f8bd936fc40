/**
 * The one authentication layer: reads the credentials a route accepts (config.auth), asks core for
 * the Caller, and refuses (403) a caller whose role lacks the route's capability (config.capability,
 * the roles table in core/roles.ts). Routes without config.auth are public; a route with auth and no
 * capability stops the server at start. Digest (SIP accounts) challenges a request that brings no
 * credentials at all, when the route accepts it.
 */
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Caller } from '../../core/callers.js';
import type { Core } from '../../core/core.js';
import { unauthenticated } from '../../core/errors.js';
import type { Presented } from '../../core/guessing/guessing.js';
import { type Capability, isCapability, requireCapability } from '../../core/roles.js';
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
    /** What the caller must be allowed to do (core/roles.ts); required with auth. */
    capability?: Capability;
    /** The path holds a secret (a token as a segment): logs show the route pattern instead. */
    secretPath?: boolean;
  }
  interface FastifyInstance {
    /** Every authenticated route with its capability, as declared (for the roles tests and docs). */
    routeCapabilities: RouteCapability[];
  }
}

export interface RouteCapability {
  method: string;
  url: string;
  capability: Capability;
  auth: AuthScheme[];
}

export function registerAuthentication(app: FastifyInstance, core: Core): void {
  app.decorateRequest('caller', null);
  const declared: RouteCapability[] = [];
  app.decorate('routeCapabilities', declared);
  const hook: onRequestHookHandler = (request, _reply, done) => {
    const { auth, capability } = request.routeOptions.config;
    underGuessingLimits(core, request, auth!).then(
      (caller) => {
        request.caller = caller;
        try {
          requireCapability(caller, capability!);
        } catch (err) {
          done(err as Error);
          return;
        }
        done();
      },
      (err) => done(err),
    );
  };
  // Attached to the routes that declare config.auth only: public routes (/ping, login) run no hook.
  app.addHook('onRoute', (route) => {
    const capability = route.config?.capability;
    if (!route.config?.auth) {
      if (capability) throw new Error(`${route.method} ${route.url}: a capability needs config.auth`);
      return;
    }
    if (!capability || !isCapability(capability)) {
      throw new Error(`${route.method} ${route.url}: a route that takes credentials declares config.capability from core/roles.ts`);
    }
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') declared.push({ method, url: route.url, capability, auth: route.config.auth });
    }
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

/**
 * The online guessing limits (core/guessing) around authenticate: the credentials presented, as
 * authenticate will read them, and the client's address. A request that presents none (a Digest
 * challenge's first leg, a missing key) and a bearer token (signed, nothing to guess) pass through.
 */
function underGuessingLimits(core: Core, request: FastifyRequest, schemes: AuthScheme[]): Promise<Caller> {
  const presented = presentedSecret(request, schemes);
  const check = () => authenticate(core, request, schemes);
  return presented ? core.guessing.guard(presented, request.ip, check) : check();
}

function presentedSecret(request: FastifyRequest, schemes: AuthScheme[]): Presented | null {
  const authorization = request.headers.authorization;
  if (authorization) {
    const space = authorization.indexOf(' ');
    const scheme = (space > 0 ? authorization.slice(0, space) : authorization).toLowerCase();
    const value = space > 0 ? authorization.slice(space + 1).trim() : '';
    if (scheme === 'basic' && schemes.includes('basic')) return { scheme: 'basic', value };
    if (scheme === 'digest' && schemes.includes('digest')) return { scheme: 'digest', value, from: header(request, 'from') };
    return null;
  }
  if (schemes.includes('apiKey') && (request.headers['x-api-key'] || readCookie(request, 'x-api-key'))) return { scheme: 'apiKey' };
  return null;
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
