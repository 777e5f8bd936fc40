/**
 * The pages' cookies. All are HttpOnly and SameSite=Lax, and Secure when the request came over HTTPS
 * (directly or, with GATEHOUSE_TRUST_PROXY, through a proxy): forcing Secure on plain HTTP would make
 * a browser drop them everywhere but localhost. Secrets live only in cookie values and POST bodies,
 * never in a URL.
 *
 *   gh_session  the signed-in agent's Gatehouse JWT (expires with it)
 *   gh_login    the sign-in in progress: its preLoginToken (and the new secret during enrolment), 5 minutes
 *   gh_console  the API key an operator gave the console
 *   gh_csrf     the CSRF token each form repeats in its _csrf field
 *   Verifiedtoken  a trusted device's token, the same cookie the Comm100 endlogin sets
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden } from '../../core/errors.js';
import { readCookie } from '../http/cookies.js';

export const SESSION = 'gh_session';
export const LOGIN_FLOW = 'gh_login';
export const CONSOLE_KEY = 'gh_console';
export const CSRF = 'gh_csrf';
export const TRUSTED_DEVICE = 'Verifiedtoken';

export const isHttps = (request: FastifyRequest) => request.protocol === 'https';

export function setCookie(request: FastifyRequest, reply: FastifyReply, name: string, value: string, options: { path?: string; maxAgeSeconds?: number; expires?: Date } = {}): void {
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
  reply.clearCookie(name, { httpOnly: true, sameSite: 'lax', secure: isHttps(request), path });
}

export { readCookie };

/** The request's CSRF token, set as a cookie when it has none yet; pages put it in every form. */
export function csrfToken(request: FastifyRequest, reply: FastifyReply): string {
  const existing = readCookie(request, CSRF);
  if (existing && /^[A-Za-z0-9_-]{32,64}$/.test(existing)) return existing;
  const token = randomBytes(24).toString('base64url');
  setCookie(request, reply, CSRF, token);
  return token;
}

/**
 * Double-submit check of a form post: the _csrf field must equal the gh_csrf cookie. Another site can
 * make a browser post a form but can neither read nor set this cookie, and SameSite=Lax keeps it off
 * cross-site posts altogether.
 */
export function checkCsrf(request: FastifyRequest, field: unknown): void {
  const cookie = readCookie(request, CSRF);
  const a = Buffer.from(typeof field === 'string' ? field : '');
  const b = Buffer.from(cookie ?? '');
  if (!cookie || a.length !== b.length || !timingSafeEqual(a, b)) throw forbidden('the form expired or came from another site; reload the page and try again');
}
