/**
 * The one authentication layer: reads the credentials a route accepts (config.auth), asks core for
 * the Caller, and refuses (403) a caller whose role lacks the route's capability (config.capability,
 * the roles table in core/roles.ts). Routes without config.auth are public; a route with auth and no
 * capability stops the server at start. Digest (SIP accounts) challenges a request that brings no
 * credentials at all, when the route accepts it.
 *
 * A credential a browser sends by itself (a cookie) only counts when the browser says the request
 * comes from this server's own pages: refuseCrossSiteCookie below, the one place that rule lives.
 */
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Caller } from '../../core/callers.js';
import type { Core } from '../../core/core.js';
import { forbidden, unauthenticated } from '../../core/errors.js';
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
    /**
     * A GET that changes state (attaches a token, mints or rotates a credential): refused cross-site
     * when a cookie authenticates it, like every POST, PUT, PATCH and DELETE.
     */
    changesState?: boolean;
  }
  interface FastifyInstance {
    /** Every authenticated route with its capability, as declared (for the roles tests and docs). */
    routeCapabilities: RouteCapability[];
    /** Every GET declaring config.changesState, as `GET /path` (for the tests and the security docs). */
    stateChangingGets: string[];
    /** The origin of GATEHOUSE_PUBLIC_URL, lower-case, or null: a browser's Origin that counts as this server's own. */
    publicOrigin: string | null;
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
  const stateChangingGets: string[] = [];
  app.decorate('stateChangingGets', stateChangingGets);
  const publicUrl = core.deps.config.publicUrl;
  app.decorate('publicOrigin', publicUrl ? new URL(publicUrl).origin.toLowerCase() : null);
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
    if (route.config?.changesState) stateChangingGets.push(...[route.method].flat().filter((m) => m === 'GET').map((m) => `${m} ${route.url}`));
    if (!route.config?.auth) {
      if (capability) throw new Error(`${route.method} ${route.url}: a capability needs config.auth`);
      // A public GET that changes state (redeeming a token, which also sets the key cookie) is not
      // for another site's links either: it would plant its caller's credential in a victim's browser.
      if (route.config?.changesState) route.onRequest = [publicStateChange, ...hooksOf(route.onRequest)];
      return;
    }
    if (!capability || !isCapability(capability)) {
      throw new Error(`${route.method} ${route.url}: a route that takes credentials declares config.capability from core/roles.ts`);
    }
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') declared.push({ method, url: route.url, capability, auth: route.config.auth });
    }
    route.onRequest = [hook, ...hooksOf(route.onRequest)];
  });
}

const hooksOf = (hooks: onRequestHookHandler | onRequestHookHandler[] | undefined) => (hooks ? [hooks].flat() : []);

const publicStateChange: onRequestHookHandler = (request, _reply, done) => {
  if (isCrossSite(request)) done(crossSiteRefusal());
  else done();
};

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
    const fromHeader = Array.isArray(header) ? header[0] : header;
    const key = fromHeader ?? readCookie(request, 'x-api-key');
    if (key) {
      if (fromHeader === undefined) refuseCrossSiteCookie(request);
      return core.credentials.authenticateApiKey(key);
    }
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

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A request that changes state: any method but GET, HEAD and OPTIONS, and the GETs that declare config.changesState. */
export function changesState(request: FastifyRequest): boolean {
  return !SAFE_METHODS.has(request.method) || request.routeOptions.config.changesState === true;
}

/**
 * Whether the browser says another origin made this request. Sec-Fetch-Site, when the browser sends
 * it, decides alone: anything but same-origin or none (none: typed, bookmarked, opened from another
 * application) is another origin, a sibling subdomain (same-site) included. Without it (older
 * browsers; plain HTTP to a host that is not localhost), an Origin that is not this server's
 * (GATEHOUSE_PUBLIC_URL's, or the scheme and Host the request came to) is; `Origin: null` too. A
 * client that is not a browser sends neither header and is not cross-site.
 */
export function isCrossSite(request: FastifyRequest): boolean {
  const site = header(request, 'sec-fetch-site');
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = header(request, 'origin');
  if (origin === undefined) return false;
  const own = [`${request.protocol}://${request.host}`.toLowerCase()];
  if (request.server.publicOrigin) own.push(request.server.publicOrigin);
  return !own.includes(origin.toLowerCase());
}

/**
 * The cookie rule: a request authenticated by a cookie (the Flexisip x-api-key cookie, the pages'
 * session and console key) may change state only when it comes from this server's own pages. Another
 * site can make a browser send its cookies (a link, a form, an image) but not forge these headers.
 * Clients that authenticate by header or Basic are not concerned.
 */
export function refuseCrossSiteCookie(request: FastifyRequest): void {
  if (changesState(request) && isCrossSite(request)) throw crossSiteRefusal();
}

const crossSiteRefusal = () => forbidden('another site sent this request, and it would change something: a cookie does not authenticate it (send the credential in a header)');

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
