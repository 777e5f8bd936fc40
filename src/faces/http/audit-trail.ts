/**
 * The admin audit trail's one hook (core/changes): every request that changes state — POST, PUT,
 * PATCH, DELETE, and a GET that declares config.changesState — on every face records one change,
 * done or refused, unless its route declares config.notAudited with the reason. So a route added
 * tomorrow is audited without doing anything; leaving it out is a visible, reasoned line.
 *
 * The hook is attached to those routes only (an onSend of the route, like authenticate's onRequest),
 * so reads and excluded routes pay nothing. It runs when the answer is ready, after the route's own
 * writes are committed; the record is committed before the answer leaves, so a caller that reads
 * the trail after its change finds it.
 *
 * Who: request.caller (set by the authentication hook, or by the pages' session and console key in
 * faces/web/session.ts). A request refused before anyone was identified (no or a wrong credential,
 * a cross-site post, the guessing limit) is not recorded: it has no "who", the guessing limits and
 * the login audit keep credential failures, and anyone could fill the table with them. A public
 * route's change (a Flexisip sign-up) is recorded as `anonymous` when it is done.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions, onSendHookHandler } from 'fastify';
import type { Caller } from '../../core/callers.js';
import { changeDetailOf } from '../../core/changes/changes.js';
import type { Core } from '../../core/core.js';

/**
 * Why a state-changing route is left out of the admin audit trail (issue 25's decisions):
 * - `code`: a code send, verify or cancel, or a message sent (its SDR or message record is its record);
 * - `login`: a sign-in step, sign-out or credential exchange (the login audit has them);
 * - `callback`: Twilio's and the SIP registrar's callbacks (the provider's report, not a change asked of us);
 * - `statistics`: Flexisip's statistics ingestion (operational data, like the SDR);
 * - `read`: a POST that stores nothing (computes an answer) or only acknowledges a page.
 */
export type NotAudited = 'code' | 'login' | 'callback' | 'statistics' | 'read';

declare module 'fastify' {
  interface FastifyRequest {
    /** The error code a refusal was answered with (set by the face's error handler, faces/http/errors.ts). */
    refusal: string | null;
  }
  interface FastifyContextConfig {
    /** This state-changing route is not recorded in the admin audit trail, for this reason (audit-trail.ts). */
    notAudited?: NotAudited;
    /** How a route that finds its caller itself (the pages) finds it, for a refusal answered before it did (identifyCallers). */
    identify?: (request: FastifyRequest) => Promise<Caller | null>;
  }
  interface FastifyInstance {
    /** Every state-changing route, as `METHOD /url`, with its exclusion if it has one (for the tests and docs). */
    auditedRoutes: AuditedRoute[];
  }
}

export interface AuditedRoute {
  method: string;
  url: string;
  /** Without config.auth: its caller is found by the route itself (pages) or nobody (public). */
  public: boolean;
  notAudited: NotAudited | null;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function registerAuditTrail(app: FastifyInstance, core: Core): void {
  const routes: RouteOptions[] = [];
  app.decorateRequest('refusal', null);
  // Read when asked: a plugin wrapper (notAuditedRoutes) may set config after this hook saw the route.
  app.decorate('auditedRoutes', {
    getter: () =>
      routes.flatMap((r) =>
        [r.method].flat().filter((m) => changes(m, r)).map((method) => ({ method, url: r.url, public: !r.config?.auth, notAudited: r.config?.notAudited ?? null })),
      ),
  });
  const record = auditHook(core);
  auditHooks.add(record);
  app.addHook('onRoute', (route) => {
    if (![route.method].flat().some((m) => changes(m, route))) return;
    routes.push(route);
    // An excluded route (a code send, the hot path) runs no hook at all.
    if (!route.config?.notAudited) route.onSend = [...(route.onSend ? [route.onSend].flat() : []), record];
  });
}

/** The hooks registerAuditTrail attached, so that notAuditedRoutes can take them off again. */
const auditHooks = new WeakSet<onSendHookHandler>();

const changes = (method: string, route: RouteOptions) => MUTATING.has(method) || (method === 'GET' && route.config?.changesState === true);

/**
 * A plugin whose every route is left out for one reason (the sign-in pages: every post there is a
 * login step), so the reason is said once where the plugin is registered.
 */
export function notAuditedRoutes<O extends Record<string, unknown>>(reason: NotAudited, plugin: (app: FastifyInstance, options: O) => Promise<void>) {
  return async (app: FastifyInstance, options: O) => {
    app.addHook('onRoute', (route) => {
      route.config = { ...route.config, notAudited: reason };
      // The parent's onRoute (registerAuditTrail) saw the route first and attached its hook.
      if (route.onSend) route.onSend = [route.onSend].flat().filter((hook) => !auditHooks.has(hook));
    });
    await plugin(app, options);
  };
}

/**
 * The routes of a plugin that find their caller themselves (the pages: a session or console cookie,
 * read in the handler) say how, so that a post refused before its handler ran (a field its schema
 * refuses) is still recorded with its caller.
 */
export function identifyCallers(app: FastifyInstance, identify: (request: FastifyRequest) => Promise<Caller | null>): void {
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, identify };
  });
}

function auditHook(core: Core): onSendHookHandler {
  const hook: onSendHookHandler = (request, reply, payload, done) => {
    const config = request.routeOptions.config;
    if (config.notAudited || (request.method === 'GET' && !config.changesState) || unconfirmed(request)) return done(null, payload);
    const status = reply.statusCode;
    const refused = status >= 400;
    // A page finds its caller in its handler: a post refused before it (a field the schema refuses)
    // asks the page's own way of finding it, on refusals only.
    const identified = !request.caller && refused && config.identify ? config.identify(request).catch(() => null) : Promise.resolve(request.caller);
    identified.then((caller) => record(request, reply, payload, done, caller));
  };

  function record(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void, caller: Caller | null) {
    const config = request.routeOptions.config;
    const status = reply.statusCode;
    const refused = status >= 400;
    // Nobody identified: a refusal is not recorded (see above); a public route's change is.
    if (!caller && (refused || config.auth)) return done(null, payload);
    const url = request.routeOptions.url ?? request.url;
    core.changeLog
      .recordChange({
        actor: caller ?? 'anonymous',
        surface: url.startsWith('/console') || url.startsWith('/account/') ? 'console' : 'api',
        action: `${request.method} ${url.replaceAll('::', ':')}`,
        object: objectOf(request, reply, url, payload),
        outcome: refused ? 'refused' : 'done',
        errorCode: refused ? request.refusal ?? `http_${status}` : null,
        status,
        clientAddress: request.ip,
        requestId: request.id,
        detail: changeDetailOf(request.body),
      })
      .then(
        () => done(null, payload),
        (err: unknown) => {
          // The change itself is made: its answer still goes out, and the missing record is logged loudly.
          request.log.error({ err, route: url }, 'the admin audit trail could not record a change');
          done(null, payload);
        },
      );
  }
  return hook;
}

/**
 * A destructive page's post without confirm=yes changes nothing and asks again (faces/web/confirm.ts):
 * a route whose body declares `confirm` acts only when it is yes, so only then is there a change.
 */
function unconfirmed(request: FastifyRequest): boolean {
  const body = request.routeOptions.schema?.body as { properties?: Record<string, unknown> } | undefined;
  return body?.properties?.confirm !== undefined && (request.body as { confirm?: unknown } | undefined)?.confirm !== 'yes';
}

/**
 * The object a request acts on, from its route: the last path parameter and the word before it
 * (`/admin/tenants/:tenant/auth-tokens/:id` → auth-tokens, id); `me` is the caller's own account;
 * a route with no parameter names its collection, and the id the answer gives a new object.
 */
function objectOf(request: FastifyRequest, reply: FastifyReply, url: string, payload: unknown): { type: string; id: string | number | null } | null {
  const segments = url.split('/').filter(Boolean);
  const params = (request.params ?? {}) as Record<string, unknown>;
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i]!;
    if (/^:\w+$/.test(s)) {
      const value = params[s.slice(1)];
      const type = segments.slice(0, i).reverse().find((p) => !p.startsWith(':')) ?? s.slice(1);
      return { type, id: typeof value === 'string' || typeof value === 'number' ? value : null };
    }
    if (s === 'me' && segments[i - 1]) return { type: segments[i - 1]!, id: request.caller?.accountId ?? null };
  }
  const last = segments[segments.length - 1];
  if (!last) return null;
  return { type: last.replaceAll('::', ':'), id: reply.statusCode < 300 ? createdId(reply, payload) : null };
}

/** The `id` (or `sid`) an answer gives the object it made; answers are JSON objects or pages. */
function createdId(reply: FastifyReply, payload: unknown): string | number | null {
  if (typeof payload !== 'string' || payload.length > 65_536 || payload[0] !== '{') return null;
  if (!String(reply.getHeader('content-type') ?? '').includes('json')) return null;
  try {
    const body = JSON.parse(payload) as Record<string, unknown> & { data?: Record<string, unknown> };
    // Smart 2FA wraps its objects in `data`.
    const id = body.id ?? body.sid ?? body.data?.id ?? body.data?.sid;
    return typeof id === 'string' || typeof id === 'number' ? id : null;
  } catch {
    return null;
  }
}
