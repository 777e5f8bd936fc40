/**
 * The pages' cookies. All are HttpOnly and SameSite=Lax, and Secure when the request came over HTTPS
 * (directly or, with GATEHOUSE_TRUST_PROXY, through a proxy): forcing Secure on plain HTTP would make
 * a browser drop them everywhere but localhost. Secrets live only in cookie values and POST bodies,
 * never in a URL.
 *
 *   gh_session  the signed-in agent's Gatehouse JWT (expires with it)
 *   gh_login    the sign-in in progress: its preLoginToken (and the new secret during enrolment), 5 minutes
 *   gh_console  the API key an operator gave the console
 *   gh_csrf     a random id of the browser, which the CSRF token is bound to before sign-in (csrfToken)
 *   Verifiedtoken  a trusted device's token, the same cookie the Comm100 endlogin sets
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/core.js';
import { forbidden } from '../../core/errors.js';
import { readCookie } from '../http/cookies.js';

export const SESSION = 'gh_session';
export const LOGIN_FLOW = 'gh_login';
export const CONSOLE_KEY = 'gh_console';
export const CSRF = 'gh_csrf';
export const TRUSTED_DEVICE = 'Verifiedtoken';

export const isHttps = (request: FastifyRequest) => request.protocol === 'https';

export function setCookie(request: FastifyRequest, reply: FastifyReply, name: string, value: string, options: { path?: string; maxAgeSeconds?: number; expires?: Date } = {}): void {
  remember(request, name, value);
  reply.setCookie(name, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: isHttps(request),
    path: options.path ?? '/',
    ...(options.maxAgeSeconds !== undefined && { maxAge: options.maxAgeSeconds }),
    ...(options.expires && { expires: options.expires }),
  });
}

export function clearCookie(request: FastifyRequest, reply: FastifyReply, name: string, path = '/'): void {
  remember(request, name, null);
  reply.clearCookie(name, { httpOnly: true, sameSite: 'lax', secure: isHttps(request), path });
}

export { readCookie };

/**
 * Cookies as they will be after this answer: what the request brought, overridden by what the
 * handler set or cleared so far, so a page rendered in the same answer that signs someone in (or
 * out) carries the token of the new session.
 */
const pending = new WeakMap<FastifyRequest, Map<string, string | null>>();

function remember(request: FastifyRequest, name: string, value: string | null): void {
  const map = pending.get(request) ?? new Map<string, string | null>();
  map.set(name, value);
  pending.set(request, map);
}

function current(request: FastifyRequest, name: string): string | undefined {
  const map = pending.get(request);
  if (map?.has(name)) return map.get(name) ?? undefined;
  return readCookie(request, name);
}

const CSRF_ID = /^[A-Za-z0-9_-]{32,64}$/;

/**
 * What a form's token is bound to: the credential cookies the pages authenticate by (the agent's
 * session, the console's key); before sign-in, the browser's own random gh_csrf id. Only with a
 * session does a token prove anything about who rendered the form: a planted gh_csrf id is then
 * ignored, and a token made for it (or for any other session) does not match.
 */
function binding(request: FastifyRequest): string | null {
  const session = current(request, SESSION);
  const key = current(request, CONSOLE_KEY);
  if (session || key) return `session\0${session ?? ''}\0${key ?? ''}`;
  const id = current(request, CSRF);
  return id && CSRF_ID.test(id) ? `browser\0${id}` : null;
}

/** The token pages put in every form, for this request's session (setting the gh_csrf id when it has none and no session). */
export function csrfToken(core: Core, request: FastifyRequest, reply: FastifyReply): string {
  let bound = binding(request);
  if (!bound) {
    const id = randomBytes(24).toString('base64url');
    setCookie(request, reply, CSRF, id);
    bound = `browser\0${id}`;
  }
  return core.csrf.token(bound);
}

/**
 * A form post's _csrf field must be the token of the session the post comes with. Another site can
 * make a browser post a form but can neither read the page's token nor compute one (an HMAC under
 * the server's key); SameSite=Lax and the cross-site rule (http/authenticate.ts) keep such posts
 * away besides.
 */
export function checkCsrf(core: Core, request: FastifyRequest, field: unknown): void {
  const bound = binding(request);
  if (!bound || !core.csrf.check(bound, field)) throw forbidden('the form expired or came from another site; reload the page and try again');
}
