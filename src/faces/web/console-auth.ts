/** The console's operator and its frame: sign-in with an API key, and the tabs every console page shows. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../../core/callers.js';
import type { Core } from '../../core/core.js';
import { CONSOLE_KEY, csrfToken, readCookie } from './cookies.js';
import { type Html, type Notice, csrfField, html, page } from './html.js';
import { sendPage } from './respond.js';
import { consoleCaller, whoIs } from './session.js';

export const TABS = [
  ['/console', 'Tenants & accounts'],
  ['/console/limits', 'Limits'],
  ['/console/sdr', 'Send records'],
  ['/console/usage', 'Usage'],
  ['/console/outbox', 'Outbox'],
  ['/console/credentials', 'Credentials'],
] as const;

export interface Operator {
  caller: Caller;
  csrf: string;
  /** Renders a console page with its tabs. */
  send(status: number, title: string, tab: string, body: Html, notice?: Notice | null): FastifyReply;
}

/** The operator of a console request, or null after answering with the console's sign-in form. */
export async function operator(core: Core, request: FastifyRequest, reply: FastifyReply): Promise<Operator | null> {
  const caller = await consoleCaller(core, request);
  const csrf = csrfToken(core, request, reply);
  if (!caller) {
    sendPage(reply, 401, page({ title: 'Admin console' }, html`<section class="card"><form method="post" action="/console/key">${csrfField(csrf)}
<label for="apiKey">Admin API key</label><input id="apiKey" name="apiKey" type="password" autocomplete="off" required placeholder="gha_…">
<p class="muted">The key printed at the first start, or any API key: the console shows what that key reaches. It is kept in an HttpOnly cookie of this browser.</p>
<button type="submit">Open the console</button></form></section>
<p class="muted">Agents sign in at <a href="/login">/login</a>; a signed-in super agent can use the console for its own partner too.</p>`));
    return null;
  }
  const who = await whoIs(core, caller);
  return {
    caller,
    csrf,
    send(status, title, tab, body, notice = null) {
      const nav = html`<nav class="tabs">${TABS.map(([href, label]) => html`<a href="${href}" class="${href === tab ? 'on' : ''}">${label}</a>`)}</nav>`;
      // Signed in by a key, the header's "Sign out" forgets the key; signed in as an agent, it signs out.
      const signOut = readCookie(request, CONSOLE_KEY) ? '/console/forget' : '/logout';
      return sendPage(reply, status, page({ title, who, csrf, notice, wide: true, signOut }, html`${nav}${body}`));
    },
  };
}
