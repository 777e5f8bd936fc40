/** How the pages answer: HTML with a strict policy, never cached, errors as a readable page. */
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { GatehouseError } from '../../core/errors.js';
import { COMMON_STATUS, type Envelope } from '../http/errors.js';
import { html, page } from './html.js';
import { PASSKEY_SCRIPT_TAG, withPasskeyScript } from './passkey-script.js';

/**
 * No script runs on these pages and no inline style is allowed; images are the page's own or data:
 * URLs (the enrolment QR code); forms post only here; no one may frame them.
 */
export const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** A numeric id typed into a form field (forms send strings). */
export const FormId = Type.String({ pattern: '^[1-9][0-9]{0,14}$', maxLength: 15 });

export function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  // Every page here is someone's own (codes, secrets, accounts): no cache may keep it.
  // A page carrying the passkey script (passkey-script.ts) allows that one script and its fetches; no other.
  const csp = body.includes(PASSKEY_SCRIPT_TAG) ? withPasskeyScript(PAGE_CSP) : PAGE_CSP;
  return reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', csp).send(body);
}

/** A validator's words, as a person reads them ("must match pattern ^AC…$" says nothing to one). */
function readable(message: string): string {
  const m = /^([\w.[\]]+): (.*)$/.exec(message);
  if (!m) return message;
  const [, field, said] = m as unknown as [string, string, string];
  const what = /must match pattern|must match format|must be (integer|number|string)/.test(said) ? 'is not in the expected form' : said.startsWith('must NOT have more') ? 'is too long' : said.startsWith('must NOT have fewer') ? 'is missing or too short' : said;
  const name = field.replace(/^(querystring|params|body)\.?/, '') || 'the address';
  return `“${name}” ${what}.`;
}

/** A failure as a page: the status of its code and its message (never a stack), with ways on. */
export function pageEnvelope(error: GatehouseError): Envelope {
  const status = COMMON_STATUS[error.code] ?? 400;
  const title = status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : status === 401 ? 'Please sign in' : status >= 500 ? 'Something went wrong' : 'This request was not understood';
  const text = status === 400 ? readable(error.message) : error.message;
  const body = page({ title, notice: { kind: 'error', text } }, html`<p class="muted">Go back and try again, or start from one of these:</p>
<p class="ways"><a href="/console">Admin console</a> · <a href="/account/security">My security</a> · <a href="/login">Sign in</a></p>`);
  return { status, body, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': PAGE_CSP } };
}
