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

/** A failure as a page: the status of its code and its message (never a stack). */
export function pageEnvelope(error: GatehouseError): Envelope {
  const status = COMMON_STATUS[error.code] ?? 400;
  const title = status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : status >= 500 ? 'Something went wrong' : 'Please check the form';
  const body = page({ title, notice: { kind: 'error', text: error.message } }, html`<p><a href="/login">Sign in</a> · <a href="/account/security">My security</a> · <a href="/console">Console</a></p>`);
  return { status, body, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': PAGE_CSP } };
}
