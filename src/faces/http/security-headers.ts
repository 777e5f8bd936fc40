/**
 * Headers every HTML answer carries, whichever face made it (the pages, /docs):
 * no MIME sniffing, never framed (clickjacking), no referrer leaking a path to another site, and HSTS when the request
 * came over HTTPS — never over plain HTTP, where it would be ignored at best and wrong behind no TLS.
 * A page's own Content-Security-Policy is kept and gains frame-ancestors 'none' if it lacks one.
 * No HTML answer is cached unless it says otherwise: pages show codes, secrets and accounts (the console's
 * outbox, enrolment, backup codes), and the few that do not are small.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const HSTS = 'max-age=31536000; includeSubDomains';

/** Called from the server's one onSend hook (a hook of its own cost every answer a hook's round). */
export function addSecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  const type = reply.getHeader('content-type');
  if (typeof type !== 'string' || !type.startsWith('text/html')) return;
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` on the pages' own form
  // posts, which the cross-site rule (authenticate.ts) must refuse; nothing leaves for another site either way.
  reply.header('referrer-policy', 'same-origin');
  if (request.protocol === 'https') reply.header('strict-transport-security', HSTS);
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  const csp = reply.getHeader('content-security-policy');
  if (typeof csp !== 'string' || !csp) reply.header('content-security-policy', "frame-ancestors 'none'");
  else if (!/frame-ancestors/.test(csp)) reply.header('content-security-policy', `${csp.replace(/;?\s*$/, '')}; frame-ancestors 'none'`);
  else reply.header('content-security-policy', csp.replace(/frame-ancestors [^;]*/, "frame-ancestors 'none'"));
}
