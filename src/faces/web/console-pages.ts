/**
 * The admin console (/console): the tenant tree with create, a site's 2FA requirement, and accounts
 * (search and paging, create, block / unblock, unlock a locked account, reset 2FA). Every action goes
 * through core with the operator's caller, so a key sees and changes only what it reaches; the page
 * offers only what the caller's role may do (roles.ts), a refused form comes back filled with the
 * error under its field, and a destructive action asks first on a page of its own (confirm.ts).
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Account } from '../../core/accounts/accounts.js';
import type { Core } from '../../core/core.js';
import { GatehouseError } from '../../core/errors.js';
import { GuessingErrors } from '../../core/guessing/errors.js';
import { ACTS_ON, can, mayActOn, scopeOf } from '../../core/roles.js';
import type { Tenant } from '../../core/tenants/tenants.js';
import { CONSOLE_KEY, clearCookie, setCookie } from './cookies.js';
import { ConfirmField, confirmBody, confirmLink } from './confirm.js';
import { type Operator, operator, sendKeyForm } from './console-auth.js';
import { type FieldErrors, fieldErrors, otherProblems, problem, refusedNotice } from './form-errors.js';
import { type Html, type Notice, csrfField, html, when } from './html.js';
import { FormId } from './respond.js';

const Csrf = Type.String({ maxLength: 100 });
const Plain = Type.Object({ _csrf: Csrf }, { additionalProperties: false });
const Confirmed = Type.Object({ _csrf: Csrf, confirm: ConfirmField }, { additionalProperties: false });
const IdParams = Type.Object({ id: FormId });
// Form fields are checked by the handlers (and core), not by the schema, so a refusal comes back as the form with the error under its field.
const KeyForm = Type.Object({ _csrf: Csrf, apiKey: Type.String({ maxLength: 200 }) }, { additionalProperties: false });
const TenantForm = Type.Object({ _csrf: Csrf, name: Type.String({ maxLength: 400 }), parent: Type.Optional(Type.String({ maxLength: 20 })) }, { additionalProperties: false });
const RequirementForm = Type.Object({ _csrf: Csrf, requirement: Type.Union([Type.Literal('0'), Type.Literal('1')]) }, { additionalProperties: false });
const AccountForm = Type.Object(
  {
    _csrf: Csrf,
    email: Type.String({ maxLength: 400 }),
    password: Type.String({ maxLength: 1024 }),
    role: Type.Union([Type.Literal('agent'), Type.Literal('superagent')]),
  },
  { additionalProperties: false },
);
/** The accounts list's search and page: anything else in the address is ignored, a bad page number reads as the first. */
const TenantQuery = Type.Object({ q: Type.Optional(Type.String({ maxLength: 320 })), page: Type.Optional(Type.String({ maxLength: 10 })) });

const REQUIREMENT_TEXT = { none: 'not set: 2FA is optional', 0: 'required at every sign-in', 1: 'required; a device may be trusted for 14 days' } as const;
const ACCOUNTS_PER_PAGE = 20;

interface Typed {
  name?: string;
  parent?: string;
  email?: string;
  role?: string;
}

function tree(tenants: Tenant[], selected?: number): Html {
  const children = new Map<number | null, Tenant[]>();
  const ids = new Set(tenants.map((t) => t.id));
  for (const t of tenants) {
    const parent = t.parentId !== null && ids.has(t.parentId) ? t.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), t]);
  }
  const branch = (parent: number | null, depth: number): Html => {
    const kids = children.get(parent) ?? [];
    if (!kids.length) return html``;
    const kind = (d: number) => (d === 0 ? 'partner' : d === 1 ? 'site' : 'sub-account');
    return html`<ul class="tree">${kids.map((t) => html`<li><a href="/console/tenants/${t.id}" class="${t.id === selected ? 'on' : ''}">${t.name}</a> <span class="muted">#${t.id} · ${kind(depth)}</span>${branch(t.id, depth + 1)}</li>`)}</ul>`;
  };
  return branch(null, 0);
}

const pageNumber = (raw: string | undefined): number => (raw && /^[1-9][0-9]{0,5}$/.test(raw) ? Number(raw) : 1);

export const consolePages: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  interface View {
    notice?: Notice | null;
    extra?: Html | string;
    errors?: FieldErrors | null;
    typed?: Typed;
    status?: number;
  }

  async function home(op: Operator, v: View = {}) {
    const tenants = await core.tenants.list(op.caller);
    const typed = v.typed ?? {};
    const create = can(op.caller, 'tenants.manage')
      ? html`<section class="card"><h2>New tenant</h2><form method="post" action="/console/tenants" id="new-tenant">${csrfField(op.csrf)}
<div class="row"><div><label for="tenant-name">Name</label><input id="tenant-name" name="name" required maxlength="200" value="${typed.name ?? ''}">${problem(v.errors, 'name')}</div>
<div><label for="tenant-parent">Under</label><select id="tenant-parent" name="parent"><option value="">(a new top-level tenant)</option>${tenants.map((t) => html`<option value="${t.id}" ${typed.parent === String(t.id) ? html`selected` : ''}>${t.name} (#${t.id})</option>`)}</select>${problem(v.errors, 'parent')}</div>
<button type="submit">Create</button></div>${otherProblems(v.errors, ['name', 'parent'])}</form></section>`
      : '';
    return op.send(v.status ?? 200, 'Admin console', '/console', html`${v.extra ?? ''}
<section class="card"><h2>Tenants</h2><p class="muted">Partner → site → sub-account. Open one to see its accounts${can(op.caller, 'site.policy') ? ' and manage its 2FA policy' : ''}.</p>${tenants.length ? tree(tenants) : html`<p class="muted">No tenant in reach.</p>`}</section>
${create}`, v.notice ?? null);
  }

  interface TenantView extends View {
    q?: string;
    page?: number;
  }

  async function tenantPage(op: Operator, id: number, v: TenantView = {}) {
    const [tenant, tenants, accounts, requirement] = await Promise.all([
      core.tenants.get(op.caller, id),
      core.tenants.list(op.caller),
      core.accounts.list(op.caller, id),
      core.twoFactor.siteRequirement(id),
    ]);
    const q = v.q?.trim().toLowerCase() ?? '';
    // The list is one tenant's people (SIP accounts have pages of their own); search and paging are done on it here.
    const people = accounts.filter((a) => a.role !== 'sip' && (!q || `${a.email ?? ''} ${a.username ?? ''} ${a.displayName ?? ''}`.toLowerCase().includes(q)));
    const pages = Math.max(1, Math.ceil(people.length / ACCOUNTS_PER_PAGE));
    const page = Math.min(v.page ?? 1, pages);
    const shown = people.slice((page - 1) * ACCOUNTS_PER_PAGE, page * ACCOUNTS_PER_PAGE);
    const target = (a: Account) => ({ id: a.id, role: a.role, tenantPath: tenant.path, domain: a.domain });
    const rows = await Promise.all(
      shown.map(async (a) => {
        const manageable = a.role === 'agent' || a.role === 'superagent' || a.role === 'siteadmin';
        const [config, lockedUntil, passkeys] = manageable
          ? await Promise.all([core.twoFactor.getConfig(a.id), core.login.lockState(a.id).then((l) => l.lockedUntil), core.passkeys.count(a.id)])
          : [null, null, 0];
        const mayManage = a.id !== op.caller.accountId && mayActOn(op.caller, 'accounts.manage', target(a));
        const mayReset = mayActOn(op.caller, 'twofactor.manage', target(a));
        const action = (path: string, label: string, cls = 'small secondary') =>
          html`<form method="post" action="/console/accounts/${a.id}/${path}">${csrfField(op.csrf)}<button class="${cls}">${label}</button></form>`;
        const actions = [
          mayManage ? (a.blocked ? action('unblock', 'Unblock') : confirmLink(`/console/accounts/${a.id}/block`, 'Block')) : '',
          mayManage && lockedUntil ? action('unlock', 'Unlock', 'small') : '',
          mayReset && (config || passkeys > 0) ? confirmLink(`/console/accounts/${a.id}/reset-2fa`, 'Reset 2FA') : '',
        ];
        return html`<div class="item" id="account-${a.id}"><h3 class="wrap">${a.email ?? a.username ?? '—'}</h3>
<p class="muted">#${a.id} · ${a.role} · 2FA ${manageable ? (config ? 'on' : 'off') : 'n/a'}${passkeys > 0 ? ` · ${passkeys} ${passkeys === 1 ? 'passkey' : 'passkeys'}` : ''}</p>
<p>${a.blocked ? html`<span class="badge bad">blocked</span>` : html`<span class="badge good">active</span>`}
${lockedUntil ? html` <span class="badge bad lock">locked until ${when(lockedUntil)}</span>` : ''}</p>
${actions.some((x) => x) ? html`<div class="actions">${actions}</div>` : ''}</div>`;
      }),
    );
    const link = (p: number, label: string) => {
      const params = new URLSearchParams({ ...(q && { q }), page: String(p) });
      return html`<a href="/console/tenants/${tenant.id}?${params.toString()}">${label}</a>`;
    };
    const current = requirement === null ? 'none' : requirement;
    const typed = v.typed ?? {};
    const requirementForm = can(op.caller, 'site.policy')
      ? html`<form method="post" action="/console/tenants/${tenant.id}/requirement">${csrfField(op.csrf)}<div class="row">
<div><label for="requirement-select">Require 2FA</label><select id="requirement-select" name="requirement">
<option value="0" ${current === 0 ? html`selected` : ''}>at every sign-in</option>
<option value="1" ${current === 1 ? html`selected` : ''}>allow trusted devices (14 days)</option></select></div>
<button type="submit">Save</button></div></form>`
      : '';
    // Only the roles this caller may create (the rank rule), so the form never ends in "Not allowed".
    const roles = (['agent', 'superagent'] as const).filter((r) => scopeOf(op.caller, 'accounts.manage') === 'all' && ACTS_ON[op.caller.role].includes(r));
    const newAccount = roles.length
      ? html`<h2>New account</h2><form method="post" action="/console/tenants/${tenant.id}/accounts" id="new-account">${csrfField(op.csrf)}<div class="row">
<div><label for="account-email">Email</label><input id="account-email" name="email" type="email" required value="${typed.email ?? ''}">${problem(v.errors, 'email')}</div>
<div><label for="account-password">Password</label><input id="account-password" name="password" type="password" minlength="8" required autocomplete="new-password">${problem(v.errors, 'password')}</div>
<div><label for="account-role">Role</label><select id="account-role" name="role">${roles.map((r) => html`<option value="${r}" ${typed.role === r ? html`selected` : ''}>${r === 'agent' ? 'agent' : 'super agent'}</option>`)}</select>${problem(v.errors, 'role')}</div>
<button type="submit">Create</button></div>${otherProblems(v.errors, ['email', 'password', 'role'])}</form>`
      : '';
    return op.send(v.status ?? 200, tenant.name, '/console', html`
<p class="muted">Tenant #${tenant.id} · <span class="wrap">${tenant.sid}</span> · created ${when(tenant.createdAt)} · <a href="/console">all tenants</a></p>
<p><a href="/console/tenants/${tenant.id}/sip-domains" id="sip-domains-link">SIP domains${can(op.caller, 'accounts.manage') ? ' and Flexisip accounts' : ''} →</a></p>
<p><a href="/console/credentials?tenant=${tenant.id}" id="credentials-link">Credentials, password resets and deletion →</a></p>
<section class="card"><h2>2FA requirement</h2><p>Now: <strong id="requirement">${REQUIREMENT_TEXT[current]}</strong></p>${requirementForm}</section>
<section class="card"><h2>Accounts</h2>
<form method="get" action="/console/tenants/${tenant.id}" class="row" id="account-search"><div><label for="account-q">Search by email or name</label><input id="account-q" name="q" type="search" value="${v.q ?? ''}"></div><button class="secondary">Search</button></form>
<p class="muted" id="accounts-total">${people.length} ${people.length === 1 ? 'account' : 'accounts'}${q ? html` matching “${v.q}”` : ''}${pages > 1 ? ` · page ${page} of ${pages}` : ''}</p>
${rows.length ? html`<div id="accounts">${rows}</div>` : html`<p class="muted">${q ? 'No account matches.' : 'No accounts yet.'}</p>`}
${pages > 1 ? html`<p class="pager">${page > 1 ? link(page - 1, '← previous') : ''} ${page < pages ? link(page + 1, 'next →') : ''}</p>` : ''}
${newAccount}</section>
<section class="card"><h2>Tenants</h2>${tree(tenants, tenant.id)}</section>`, v.notice ?? null);
  }

  app.get('/console', { schema: { hide: true } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? home(op) : reply;
  });

  app.post('/console/key', { config: { notAudited: 'login' }, schema: { hide: true, body: KeyForm } }, async (request, reply) => {
    const key = request.body.apiKey.trim();
    if (!key) return sendKeyForm(core, request, reply, 400, 'Enter an API key.');
    // Checked before it is kept, so a mistyped key says so here, under the field.
    try {
      // Under the same guessing limit as a key in a header (core/guessing): a form is no way around it.
      await core.guessing.guard({ scheme: 'apiKey' }, request.ip, () => core.credentials.authenticateApiKey(key));
    } catch (err) {
      if (err instanceof GatehouseError && err.code === GuessingErrors.refused) return sendKeyForm(core, request, reply, 429, `${err.message}.`);
      if (err instanceof GatehouseError) return sendKeyForm(core, request, reply, 401, 'That API key is not valid: check it was copied whole (it starts with gha_), and that it was not revoked.');
      throw err;
    }
    setCookie(request, reply, CONSOLE_KEY, key, { path: '/console' });
    return reply.redirect('/console', 303);
  });

  app.post('/console/forget', { config: { notAudited: 'login' }, schema: { hide: true, body: Plain } }, async (request, reply) => {
    clearCookie(request, reply, CONSOLE_KEY, '/console');
    return reply.redirect('/console', 303);
  });

  app.post('/console/tenants', { schema: { hide: true, body: TenantForm } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const typed = { name: request.body.name, parent: request.body.parent };
    const name = request.body.name.trim();
    const parentRaw = request.body.parent?.trim() ?? '';
    const refuse = (errors: FieldErrors) => home(op, { notice: refusedNotice('The tenant was not created', errors), errors, typed, status: 400 });
    if (!name) return refuse({ name: ['Give the tenant a name.'] });
    if (name.length > 200) return refuse({ name: ['A name has at most 200 characters.'] });
    if (parentRaw && !/^[1-9][0-9]{0,14}$/.test(parentRaw)) return refuse({ parent: ['Choose a tenant from the list.'] });
    try {
      const { tenant, authToken } = await core.tenants.create(op.caller, { name, parent: parentRaw ? Number(parentRaw) : null });
      // The auth token is shown on this answer only: it is stored hashed.
      return home(op, {
        notice: { kind: 'ok', text: `Created ${tenant.name} (#${tenant.id}).` },
        extra: html`<section class="card" id="created-tenant"><h2>${tenant.name}</h2>
<p>Its HTTP Basic credentials, shown only now:</p><p class="secret">${tenant.sid}:${authToken}</p><p><a href="/console/tenants/${tenant.id}">Open ${tenant.name}</a></p></section>`,
      });
    } catch (err) {
      const errors = fieldErrors(err, 'name');
      if (!errors) throw err;
      return refuse(errors);
    }
  });

  app.get('/console/tenants/:id', { schema: { hide: true, params: IdParams, querystring: TenantQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? tenantPage(op, Number(request.params.id), { q: request.query.q, page: pageNumber(request.query.page) }) : reply;
  });

  app.post('/console/tenants/:id/requirement', { schema: { hide: true, params: IdParams, body: RequirementForm } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const id = Number(request.params.id);
    await core.twoFactor.manage.setSiteRequirement(op.caller, id, request.body.requirement === '1' ? 1 : 0, request.ip);
    return tenantPage(op, id, { notice: { kind: 'ok', text: 'The 2FA requirement is saved.' } });
  });

  app.post('/console/tenants/:id/accounts', { schema: { hide: true, params: IdParams, body: AccountForm } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const id = Number(request.params.id);
    const b = request.body;
    const typed = { email: b.email, role: b.role };
    const refuse = (errors: FieldErrors) => tenantPage(op, id, { notice: refusedNotice('The account was not created', errors), errors, typed, status: 400 });
    const errors: FieldErrors = {};
    if (!b.email.trim()) errors.email = ['Enter an email.'];
    else if (!/^[^\s@]+@[^\s@]+$/.test(b.email.trim())) errors.email = ['This is not an email address.'];
    if (b.password.length < 8) errors.password = ['A password has at least 8 characters.'];
    if (Object.keys(errors).length) return refuse(errors);
    try {
      const account = await core.accounts.create(op.caller, { tenant: id, email: b.email.trim(), password: b.password, role: b.role });
      return tenantPage(op, id, { notice: { kind: 'ok', text: `Created ${account.email}.` } });
    } catch (err) {
      const found = fieldErrors(err, 'email');
      if (!found) throw err;
      return refuse(found);
    }
  });

  /** An action that changes nothing for good (unblock, unlock): one click. */
  const accountAction = (path: string, act: (op: Operator, account: Account, ip: string) => Promise<string>) =>
    app.post(`/console/accounts/:id/${path}`, { schema: { hide: true, params: IdParams, body: Plain } }, async (request, reply) => {
      const op = await operator(core, request, reply);
      if (!op) return reply;
      const id = Number(request.params.id);
      const account = await core.accounts.get(op.caller, id);
      const text = await act(op, account, request.ip);
      return tenantPage(op, account.tenantId, { notice: { kind: 'ok', text: `${account.email ?? `#${id}`}: ${text}` } });
    });

  /** A destructive action: its GET page asks (confirm.ts); its post acts only with confirm=yes, else asks again. */
  const destructive = (path: string, question: (a: Account) => string, button: string, act: (op: Operator, account: Account, ip: string) => Promise<string>) => {
    const ask = async (op: Operator, account: Account) =>
      op.send(200, `${button}?`, '/console', confirmBody({ question: question(account), action: `/console/accounts/${account.id}/${path}`, button, cancel: `/console/tenants/${account.tenantId}#account-${account.id}`, csrf: op.csrf }));
    app.get(`/console/accounts/:id/${path}`, { schema: { hide: true, params: IdParams } }, async (request, reply) => {
      const op = await operator(core, request, reply);
      return op ? ask(op, await core.accounts.get(op.caller, Number(request.params.id))) : reply;
    });
    app.post(`/console/accounts/:id/${path}`, { schema: { hide: true, params: IdParams, body: Confirmed } }, async (request, reply) => {
      const op = await operator(core, request, reply);
      if (!op) return reply;
      const account = await core.accounts.get(op.caller, Number(request.params.id));
      if (request.body.confirm !== 'yes') return ask(op, account);
      const text = await act(op, account, request.ip);
      return tenantPage(op, account.tenantId, { notice: { kind: 'ok', text: `${account.email ?? `#${account.id}`}: ${text}` } });
    });
  };

  const named = (a: Account) => a.email ?? a.username ?? `account #${a.id}`;
  destructive('block', (a) => `Block ${named(a)}? Every sign-in and every credential of the account is refused until it is unblocked.`, 'Block', async (op, a) => (await core.accounts.update(op.caller, a.id, { blocked: true }), 'blocked.'));
  accountAction('unblock', async (op, a) => (await core.accounts.update(op.caller, a.id, { blocked: false }), 'unblocked.'));
  // accounts.get above checked the operator's reach; core.login.unlock checks that it is a manager.
  accountAction('unlock', async (op, a, ip) => ((await core.login.unlock(op.caller, a, ip)) ? 'unlocked.' : 'was not locked.'));
  destructive(
    'reset-2fa',
    (a) => `Reset two-factor authentication of ${named(a)}? Its secret, backup code, passkeys and trusted devices are deleted; where the site requires 2FA, the next sign-in enrols again.`,
    'Reset 2FA',
    async (op, a, ip) => (await core.twoFactor.manage.deleteConfig(op.caller, a.id, 'any', ip), '2FA reset; the next sign-in enrols again where the site requires it.'),
  );
};
