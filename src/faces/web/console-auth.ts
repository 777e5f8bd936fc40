/** The console's operator and its frame: sign-in with an API key, and the tabs every console page shows. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../../core/callers.js';
import type { Core } from '../../core/core.js';
import { type Capability, can } from '../../core/roles.js';
import { CONSOLE_KEY, csrfToken, readCookie } from './cookies.js';
import { type Html, type Notice, csrfField, html, noticeBlock, page } from './html.js';
import { sendPage } from './respond.js';
import { loginPath, safeReturnTo } from './return-to.js';
import { consoleCaller, whoIs } from './session.js';

/** A console tab: where it goes, its label, and the capability a caller needs to see it. */
export interface Tab {
  href: string;
  label: string;
  capability: Capability;
}

/**
 * The console's tabs, in order. Navigation shows a tab only to a caller whose role has its
 * capability (roles.ts), so nobody is led to a "Not allowed" page. A new page adds one line here.
 */
export const TABS: Tab[] = [
  { href: '/console', label: 'Tenants & accounts', capability: 'tenants.read' },
  { href: '/console/limits', label: 'Limits', capability: 'codes.policy' },
  { href: '/console/sdr', label: 'Send records', capability: 'records.read' },
  { href: '/console/usage', label: 'Usage', capability: 'records.read' },
  { href: '/console/voice', label: 'Voice', capability: 'voice.lines.read' },
  { href: '/console/delivery', label: 'Delivery', capability: 'records.read' },
  { href: '/console/outbox', label: 'Outbox', capability: 'outbox.read' },
  { href: '/console/fraud', label: 'Fraud guard', capability: 'codes.policy' },
  { href: '/console/audit', label: 'Audit trail', capability: 'changes.read' },
  { href: '/console/webhooks', label: 'Webhooks', capability: 'webhooks.manage' },
  { href: '/console/credentials', label: 'Credentials', capability: 'credentials.read' },
];

/** The tabs this caller may use. */
export const tabsFor = (caller: Pick<Caller, 'role'>): Tab[] => TABS.filter((t) => can(caller, t.capability));

export interface Operator {
  caller: Caller;
  csrf: string;
  /** Renders a console page with its tabs. */
  send(status: number, title: string, tab: string, body: Html, notice?: Notice | null): FastifyReply;
}

/**
 * The console's sign-in form: an API key, or a link to /login that comes back here. A refused key is
 * said under the field; the key itself is not written back into the page (a secret stays out of HTML).
 */
export function sendKeyForm(core: Core, request: FastifyRequest, reply: FastifyReply, status = 401, error: string | null = null): FastifyReply {
  const csrf = csrfToken(core, request, reply);
  const back = safeReturnTo(request.method === 'GET' ? request.url : '/console') ?? '/console';
  return sendPage(reply, status, page({ title: 'Admin console', notice: error ? { kind: 'error', text: `The console did not open: ${error.charAt(0).toLowerCase()}${error.slice(1)}` } : null }, html`<section class="card"><form method="post" action="/console/key">${csrfField(csrf)}
<label for="apiKey">Admin API key</label><input id="apiKey" name="apiKey" type="password" autocomplete="off" required placeholder="gha_…" aria-describedby="apiKey-help">
${error ? html`<p class="field-error" id="error-apiKey">${error}</p>` : ''}
<p class="muted help" id="apiKey-help">The key printed at the first start, or any API key: the console shows what that key reaches. It is kept in an HttpOnly cookie of this browser.</p>
<button type="submit">Open the console</button></form></section>
<p class="muted">Super agents: <a href="${loginPath(back)}" id="console-sign-in">sign in with your email</a> and come back here; the console then shows your own partner.</p>`));
}

/** The operator of a console request, or null after answering with the console's sign-in form. */
export async function operator(core: Core, request: FastifyRequest, reply: FastifyReply): Promise<Operator | null> {
  const caller = await consoleCaller(core, request);
  const csrf = csrfToken(core, request, reply);
  if (!caller) {
    sendKeyForm(core, request, reply);
    return null;
  }
  const who = await whoIs(core, caller);
  return {
    caller,
    csrf,
    send(status, title, tab, body, notice = null) {
      const nav = html`<nav class="tabs">${tabsFor(caller).map((t) => html`<a href="${t.href}" class="${t.href === tab ? 'on' : ''}">${t.label}</a>`)}</nav>`;
      // Signed in by a key, the header's "Sign out" forgets the key; signed in as an agent, it signs out.
      const signOut = readCookie(request, CONSOLE_KEY) ? '/console/forget' : '/logout';
      // The tabs first, then what happened: the notice belongs to the page below them.
      return sendPage(reply, status, page({ title, who, csrf, wide: true, signOut }, html`${nav}${noticeBlock(notice)}${body}`));
    },
  };
}
