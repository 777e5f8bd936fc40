/**
 * The console's Flexisip side: a tenant's SIP domains (list, add) and a domain's SIP accounts (list
 * by page, create, block / unblock, activate / deactivate, delete), through the same core functions
 * as the Flexisip Admin routes and with the same capability, so an operator reaches what its key
 * reaches. A refused field (422-style) is shown next to the form, the form filled again.
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import type { AccountAnswer } from '../../core/flexisip/common.js';
import { CommonErrors } from '../../core/errors.js';
import { can, requireCapability } from '../../core/roles.js';

type FlexisipAccountView = AccountAnswer['account'];
import { type Operator, operator } from './console-auth.js';
import { type Html, type Notice, csrfField, html, when } from './html.js';
import { FormId } from './respond.js';
import { ConfirmField, confirmBody, confirmLink } from './confirm.js';
import { fieldErrors, otherProblems, problem } from './form-errors.js';

const Csrf = Type.String({ maxLength: 100 });
const Plain = Type.Object({ _csrf: Csrf }, { additionalProperties: false });
const Confirmed = Type.Object({ _csrf: Csrf, confirm: ConfirmField }, { additionalProperties: false });
const IdParams = Type.Object({ id: FormId });
const DomainParams = Type.Object({ domain: Type.String({ minLength: 1, maxLength: 253 }) });
const PageQuery = Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) }, { additionalProperties: false });
const DomainForm = Type.Object({ _csrf: Csrf, domain: Type.String({ maxLength: 253 }) }, { additionalProperties: false });
const Field = (max: number) => Type.Optional(Type.String({ maxLength: max }));
const SipAccountForm = Type.Object(
  {
    _csrf: Csrf,
    username: Field(200),
    password: Field(200),
    algorithm: Type.Union([Type.Literal('MD5'), Type.Literal('SHA-256')]),
    display_name: Field(200),
    email: Field(320),
    phone: Field(40),
    admin: Type.Optional(Type.Literal('on')),
    activated: Type.Optional(Type.Literal('on')),
  },
  { additionalProperties: false },
);
type SipAccountForm = (typeof SipAccountForm)['static'];

const PER_PAGE = 20;

const problems = problem;
/** Refusals said beside the form here (a 403 or 404 stays an error page: the form was not the operator's to use). */
const FIELD_REFUSALS: string[] = [CommonErrors.validation, CommonErrors.conflict];

export const consoleSip: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const f = core.flexisip;

  async function domainsPage(op: Operator, id: number, notice: Notice | null = null, errors: Record<string, string[]> | null = null, typed = '', status = 200) {
    const [tenant, domains] = await Promise.all([core.tenants.get(op.caller, id), core.tenants.listSipDomains(op.caller, id)]);
    return op.send(status, `${tenant.name}: SIP domains`, '/console', html`
<p class="muted"><a href="/console/tenants/${tenant.id}">← ${tenant.name}</a> · tenant #${tenant.id}</p>
<section class="card"><h2>SIP domains</h2><p class="muted">The Flexisip domains this tenant owns. Open one to manage its SIP accounts.</p>${domains.length
      ? html`<div class="table"><table id="sip-domains"><thead><tr><th>Domain</th><th>Added</th></tr></thead><tbody>${domains.map((d) => html`<tr><td class="wrap">${can(op.caller, 'accounts.manage') ? html`<a href="/console/sip/${encodeURIComponent(d.domain)}">${d.domain}</a>` : d.domain}</td><td>${when(d.createdAt)}</td></tr>`)}</tbody></table></div>`
      : html`<p class="muted" id="sip-domains-none">No SIP domain yet.</p>`}
${can(op.caller, 'tenants.manage') ? html`<h2>Add a SIP domain</h2><form method="post" action="/console/tenants/${tenant.id}/sip-domains">${csrfField(op.csrf)}<div class="row">
<div><label for="sip-domain">Domain</label><input id="sip-domain" name="domain" required maxlength="253" placeholder="sip.example.org" value="${typed}">${problems(errors, 'domain')}</div>
<button type="submit">Add domain</button></div>${otherProblems(errors, ['domain'])}</form>` : ''}</section>`, notice);
  }

  async function accountsPage(op: Operator, domain: string, page = 1, notice: Notice | null = null, errors: Record<string, string[]> | null = null, typed: Partial<SipAccountForm> = {}, status = 200) {
    requireCapability(op.caller, 'accounts.manage');
    const { items, total } = await f.adminList(op.caller, page, PER_PAGE, domain);
    const lastPage = Math.max(1, Math.ceil(total / PER_PAGE));
    const base = `/console/sip/${encodeURIComponent(domain)}`;
    const rows = items.map((a) => {
      const action = (path: string, label: string, cls = 'small secondary') =>
        html`<form method="post" action="/console/sip-accounts/${a.id}/${path}">${csrfField(op.csrf)}<button class="${cls}">${label}</button></form>`;
      return html`<div class="item" id="sip-account-${a.id}"><h3 class="wrap">${a.username}@${a.domain}</h3>
<p class="muted">#${a.id}${a.displayName ? html` · ${a.displayName}` : ''} · ${a.email ?? 'no email'} · ${a.phone ?? 'no phone'} · created ${when(a.createdAt)}</p>
<p>${a.blocked ? html`<span class="badge bad">blocked</span>` : html`<span class="badge good">not blocked</span>`}
${a.activated ? html`<span class="badge good">activated</span>` : html`<span class="badge bad">not activated</span>`}
${a.admin ? html`<span class="badge">admin</span>` : ''}</p>
<div class="actions">${a.blocked ? action('unblock', 'Unblock') : confirmLink(`/console/sip-accounts/${a.id}/block`, 'Block')}${a.activated ? confirmLink(`/console/sip-accounts/${a.id}/deactivate`, 'Deactivate') : action('activate', 'Activate')}${confirmLink(`/console/sip-accounts/${a.id}/delete`, 'Delete')}</div></div>`;
    });
    const shown = ['username', 'password', 'algorithm', 'display_name', 'email', 'phone'];
    const algorithm = typed.algorithm ?? 'SHA-256';
    return op.send(status, domain, '/console', html`
<p class="muted"><a href="/console">← all tenants</a> · Flexisip SIP domain</p>
<section class="card"><h2>SIP accounts</h2><p class="muted" id="sip-total">${total} ${total === 1 ? 'account' : 'accounts'}</p>${rows.length ? html`<div id="sip-accounts">${rows}</div>` : ''}
<p>${page > 1 ? html`<a href="${base}?page=${page - 1}">← previous</a>` : ''} ${page < lastPage ? html`<a href="${base}?page=${page + 1}">next →</a>` : ''}</p></section>
<section class="card"><h2>New SIP account</h2><form method="post" action="${base}/accounts" id="new-sip-account">${csrfField(op.csrf)}<div class="row">
<div><label for="sip-username">Username</label><input id="sip-username" name="username" required maxlength="200" autocomplete="off" value="${typed.username ?? ''}">${problems(errors, 'username')}</div>
<div><label for="sip-password">Password</label><input id="sip-password" name="password" type="password" required maxlength="200" autocomplete="new-password">${problems(errors, 'password')}</div>
<div><label for="sip-algorithm">Algorithm</label><select id="sip-algorithm" name="algorithm">${['SHA-256', 'MD5'].map((a) => html`<option value="${a}" ${a === algorithm ? html`selected` : ''}>${a}</option>`)}</select>${problems(errors, 'algorithm')}</div>
</div><div class="row">
<div><label for="sip-display-name">Display name</label><input id="sip-display-name" name="display_name" maxlength="200" value="${typed.display_name ?? ''}">${problems(errors, 'display_name')}</div>
<div><label for="sip-email">Email</label><input id="sip-email" name="email" type="email" maxlength="320" value="${typed.email ?? ''}">${problems(errors, 'email')}</div>
<div><label for="sip-phone">Phone</label><input id="sip-phone" name="phone" maxlength="40" placeholder="+33612345678" value="${typed.phone ?? ''}">${problems(errors, 'phone')}</div>
</div><div class="row">
<div><label><input type="checkbox" id="sip-activated" name="activated" ${typed.activated || !errors ? html`checked` : ''}> activated</label></div>
<div><label><input type="checkbox" id="sip-admin" name="admin" ${typed.admin ? html`checked` : ''}> admin of the domain</label></div>
<button type="submit">Create account</button></div>${otherProblems(errors, shown)}</form></section>`, notice);
  }

  app.get('/console/tenants/:id/sip-domains', { schema: { hide: true, params: IdParams } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? domainsPage(op, Number(request.params.id)) : reply;
  });

  app.post('/console/tenants/:id/sip-domains', { schema: { hide: true, params: IdParams, body: DomainForm } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const id = Number(request.params.id);
    try {
      const added = await core.tenants.addSipDomain(op.caller, id, request.body.domain.trim());
      return domainsPage(op, id, { kind: 'ok', text: `Added ${added.domain}.` });
    } catch (err) {
      const errors = fieldErrors(err, 'form', FIELD_REFUSALS);
      if (!errors) throw err;
      return domainsPage(op, id, { kind: 'error', text: 'The domain was not added.' }, errors, request.body.domain, 422);
    }
  });

  app.get('/console/sip/:domain', { schema: { hide: true, params: DomainParams, querystring: PageQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? accountsPage(op, request.params.domain, request.query.page ?? 1) : reply;
  });

  app.post('/console/sip/:domain/accounts', { schema: { hide: true, params: DomainParams, body: SipAccountForm } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const { domain } = request.params;
    const b = request.body;
    const optional = (v: string | undefined) => (v?.trim() ? v.trim() : null);
    try {
      requireCapability(op.caller, 'accounts.manage');
      const { account } = await f.adminCreate(op.caller, {
        domain,
        username: b.username?.trim() ?? '',
        password: b.password ?? '',
        algorithm: b.algorithm,
        display_name: optional(b.display_name),
        email: optional(b.email),
        phone: optional(b.phone),
        admin: b.admin === 'on',
        activated: b.activated === 'on',
      });
      return accountsPage(op, domain, 1, { kind: 'ok', text: `Created ${account.username}@${account.domain} (#${account.id}).` });
    } catch (err) {
      const errors = fieldErrors(err, 'form', FIELD_REFUSALS);
      if (!errors) throw err;
      return accountsPage(op, domain, 1, { kind: 'error', text: 'The account was not created: see the fields below.' }, errors, b, 422);
    }
  });

  const accountAction = (path: string, act: (op: Operator, id: number) => Promise<string>) =>
    app.post(`/console/sip-accounts/:id/${path}`, { schema: { hide: true, params: IdParams, body: Plain } }, async (request, reply) => {
      const op = await operator(core, request, reply);
      if (!op) return reply;
      requireCapability(op.caller, 'accounts.manage');
      const id = Number(request.params.id);
      // Read first: it checks the reach (404 outside it) and names the account and its domain.
      const { account } = await f.adminGet(op.caller, id);
      const text = await act(op, id);
      return accountsPage(op, account.domain, 1, { kind: 'ok', text: `${account.username}@${account.domain}: ${text}` });
    });

  /** A destructive action: its GET page asks (confirm.ts); its post acts only with confirm=yes, else asks again. */
  const destructive = (path: string, question: (a: FlexisipAccountView) => string, button: string, act: (op: Operator, id: number) => Promise<string>) => {
    const ask = (op: Operator, a: FlexisipAccountView) =>
      op.send(200, `${button}?`, '/console', confirmBody({ question: question(a), action: `/console/sip-accounts/${a.id}/${path}`, button, cancel: `/console/sip/${encodeURIComponent(a.domain)}#sip-account-${a.id}`, csrf: op.csrf }));
    app.get(`/console/sip-accounts/:id/${path}`, { schema: { hide: true, params: IdParams } }, async (request, reply) => {
      const op = await operator(core, request, reply);
      if (!op) return reply;
      requireCapability(op.caller, 'accounts.manage');
      return ask(op, (await f.adminGet(op.caller, Number(request.params.id))).account);
    });
    app.post(`/console/sip-accounts/:id/${path}`, { schema: { hide: true, params: IdParams, body: Confirmed } }, async (request, reply) => {
      const op = await operator(core, request, reply);
      if (!op) return reply;
      requireCapability(op.caller, 'accounts.manage');
      const id = Number(request.params.id);
      const { account } = await f.adminGet(op.caller, id);
      if (request.body.confirm !== 'yes') return ask(op, account);
      const text = await act(op, id);
      return accountsPage(op, account.domain, 1, { kind: 'ok', text: `${account.username}@${account.domain}: ${text}` });
    });
  };

  const flag = (change: { blocked?: boolean; activated?: boolean }, text: string) => async (op: Operator, id: number) => (await f.adminSetFlags(op.caller, id, change), text);
  const named = (a: FlexisipAccountView) => `${a.username}@${a.domain}`;
  destructive('block', (a) => `Block ${named(a)}? It can no longer register or call until it is unblocked.`, 'Block', flag({ blocked: true }, 'blocked.'));
  accountAction('unblock', flag({ blocked: false }, 'unblocked.'));
  accountAction('activate', flag({ activated: true }, 'activated.'));
  destructive('deactivate', (a) => `Deactivate ${named(a)}? It can no longer register or call until it is activated again.`, 'Deactivate', flag({ activated: false }, 'deactivated.'));
  destructive('delete', (a) => `Delete ${named(a)} for good? Its username cannot be used again in this domain.`, 'Delete account', async (op, id) => (await f.adminDelete(op.caller, id), 'deleted.'));
};
