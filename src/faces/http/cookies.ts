import type { FastifyRequest } from 'fastify';

/**
 * One cookie of the request. Cookies are parsed here, on demand, rather than by a hook on every
 * request: only a few routes read them (the API key cookie, Comm100's Verifiedtoken).
 */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  return header ? request.server.parseCookie(header)[name] : undefined;
}
