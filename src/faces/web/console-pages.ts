/**
 * The admin console (/console): the tenant tree with create, a site's 2FA requirement, and accounts
 * (create, block / unblock, unlock a locked account, reset 2FA). Every action goes through core with
 * the operator's caller, so a key sees and changes only what it reaches.
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import { GatehouseError } from '../../core/errors.js';
import { GuessingErrors } from '../../core/guessing/errors.js';
import type { Tenant } from '../../core/tenants/tenants.js';
import { CONSOLE_KEY, clearCookie, setCookie } from './cookies.js';
import { type Operator, operator } from './console-auth.js';
import { type Html, type Notice, csrfField, html, when } from './html.js';
import { FormId } from './respond.js';

const Csrf = Type.String({ maxLength: 100 });
const Plain = Type.Object({ _csrf: Csrf }, { additionalProperties: false });
const IdParams = Type.Object({ id: FormId });
const KeyForm = Type.Object({ _csrf: Csrf, apiKey: Type.String({ minLength: 8, maxLength: 200 }) }, { additionalProperties: false });
const TenantForm = Type.Object({ _csrf: Csrf, name: Type.String({ minLength: 1, maxLength: 200 }), parent: Type.Optional(Type.Union([FormId, Type.Literal('')])) }, { additionalProperties: false });
const RequirementForm = Type.Object({ _csrf: Csrf, requirement: Type.Union([Type.Literal('0'), Type.Literal('1')]) }, { additionalProperties: false });
const AccountForm = Type.Object(
  {
    _csrf: Csrf,
    email: Type.String({ minLength: 3, maxLength: 320 }),
    password: Type.String({ minLength: 8, maxLength: 1024 }),
    role: Type.Union([Type.Literal('agent'), Type.Literal('superagent')]),
  },
  { additionalProperties: false },
);

const REQUIREMENT_TEXT = { none: 'not set: 2FA is optional', 0: 'required at every sign-in', 1: 'required; a device may be trusted for 14 days' } as const;

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

export const consolePages: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  async function home(op: Operator, notice: Notice | null = null, extra: Html | string = '', status = 200) {
    const tenants = await core.tenants.list(op.caller);
    return op.send(status, 'Admin console', '/console', html`${extra}
<section class="card"><h2>Tenants</h2><p class="muted">Partner → site → sub-account. Open one to manage its 2FA policy and accounts.</p>${tree(tenants)}</section>
<section class="card"><h2>New tenant</h2><form method="post" action="/console/tenants">${csrfField(op.csrf)}
<div class="row"><div><label for="tenant-name">Name</label><input id="tenant-name" name="name" required maxlength="200"></div>
<div><label for="tenant-parent">Under</label><select id="tenant-parent" name="parent"><option value="">(a new top-level tenant)</option>${tenants.map((t) => html`<option value="${t.id}">${t.name} (#${t.id})</option>`)}</select></div>
<button type="submit">Create</button></div></form></section>`, notice);
  }

  async function tenantPage(op: Operator, id: number, notice: Notice | null = null, status = 200) {
    const [tenant, tenants, accounts, requirement] = await Promise.all([
      core.tenants.get(op.caller, id),
      core.tenants.list(op.caller),
      core.accounts.list(op.caller, id),
      core.twoFactor.siteRequirement(id),
    ]);
    const people = accounts.filter((a) => a.role !== 'sip');
    const rows = await Promise.all(
      people.map(async (a) => {
        const manageable = a.role === 'agent' || a.role === 'superagent';
        const [config, lockedUntil] = manageable
          ? await Promise.all([core.twoFactor.getConfig(a.id), core.login.lockState(a.id).then((l) => l.lockedUntil)])
          : [null, null];
        const action = (path: string, label: string, cls = 'small secondary') =>
          html`<form method="post" action="/console/accounts/${a.id}/${path}">${csrfField(op.csrf)}<button class="${cls}">${label}</button></form>`;
        return html`<div class="item" id="account-${a.id}"><h3>${a.email ?? a.username ?? '—'}</h3>
<p class="muted">#${a.id} · ${a.role} · 2FA ${manageable ? (config ? 'on' : 'off') : 'n/a'}</p>
<p>${a.blocked ? html`<span class="badge bad">blocked</span>` : html`<span class="badge good">active</span>`}
${lockedUntil ? html` <span class="badge bad lock">locked until ${when(lockedUntil)}</span>` : ''}</p>
<div class="actions">${a.blocked ? action('unblock', 'Unblock') : action('block', 'Block')}${lockedUntil ? action('unlock', 'Unlock', 'small') : ''}${config ? action('reset-2fa', 'Reset 2FA', 'small danger') : ''}</div></div>`;
      }),
    );
    const current = requirement === null ? 'none' : requirement;
    return op.send(status, tenant.name, '/console', html`
<p class="muted">Tenant #${tenant.id} · <span class="wrap">${tenant.sid}</span> · created ${when(tenant.createdAt)} · <a href="/console">all tenants</a></p>
<p><a href="/console/tenants/${tenant.id}/sip-domains" id="sip-domains-link">SIP domains and Flexisip accounts →</a></p>
<p><a href="/console/credentials?tenant=${tenant.id}" id="credentials-link">Credentials, password resets and deletion →</a></p>
<section class="card"><h2>2FA requirement</h2><p>Now: <strong id="requirement">${REQUIREMENT_TEXT[current]}</strong></p>
<form method="post" action="/console/tenants/${tenant.id}/requirement">${csrfField(op.csrf)}<div class="row">
<div><label for="requirement-select">Require 2FA</label><select id="requirement-select" name="requirement">
<option value="0" ${current === 0 ? html`selected` : ''}>at every sign-in</option>
<option value="1" ${current === 1 ? html`selected` : ''}>allow trusted devices (14 days)</option></select></div>
<button type="submit">Save</button></div></form></section>
<section class="card"><h2>Accounts</h2>${rows.length
      ? html`<div id="accounts">${rows}</div>`
      : html`<p class="muted">No accounts yet.</p>`}
<h2>New account</h2><form method="post" action="/console/tenants/${tenant.id}/accounts">${csrfField(op.csrf)}<div class="row">
<div><label for="account-email">Email</label><input id="account-email" name="email" type="email" required></div>
<div><label for="account-password">Password</label><input id="account-password" name="password" type="password" minlength="8" required autocomplete="new-password"></div>
<div><label for="account-role">Role</label><select id="account-role" name="role"><option value="agent">agent</option><option value="superagent">super agent</option></select></div>
<button type="submit">Create</button></div></form></section>
<section class="card"><h2>Tenants</h2>${tree(tenants, tenant.id)}</section>`, notice);
  }

  app.get('/console', { schema: { hide: true } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? home(op) : reply;
  });

  app.post('/console/key', { schema: { hide: true, body: KeyForm } }, async (request, reply) => {
    // Checked before it is kept, so a mistyped key says so here rather than showing the form again.
    try {
      // Under the same guessing limit as a key in a header (core/guessing): a form is no way around it.
      await core.guessing.guard({ scheme: 'apiKey' }, request.ip, () => core.credentials.authenticateApiKey(request.body.apiKey.trim()));
    } catch (err) {
      if (err instanceof GatehouseError && err.code !== GuessingErrors.refused) throw new GatehouseError('unauthenticated', 'that API key is not valid');
      throw err;
    }
    setCookie(request, reply, CONSOLE_KEY, request.body.apiKey.trim(), { path: '/console' });
    return reply.redirect('/console', 303);
  });

  app.post('/console/forget', { schema: { hide: true, body: Plain } }, async (request, reply) => {
    clearCookie(request, reply, CONSOLE_KEY, '/console');
    return reply.redirect('/console', 303);
  });

  app.post('/console/tenants', { schema: { hide: true, body: TenantForm } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const parent = request.body.parent ? Number(request.body.parent) : null;
    const { tenant, authToken } = await core.tenants.create(op.caller, { name: request.body.name.trim(), parent });
    // The auth token is shown on this answer only: it is stored hashed.
    return home(op, { kind: 'ok', text: `Created ${tenant.name} (#${tenant.id}).` }, html`<section class="card" id="created-tenant"><h2>${tenant.name}</h2>
<p>Its HTTP Basic credentials, shown only now:</p><p class="secret">${tenant.sid}:${authToken}</p><p><a href="/console/tenants/${tenant.id}">Open ${tenant.name}</a></p></section>`);
  });

  app.get('/console/tenants/:id', { schema: { hide: true, params: IdParams } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? tenantPage(op, Number(request.params.id)) : reply;
  });

  app.post('/console/tenants/:id/requirement', { schema: { hide: true, params: IdParams, body: RequirementForm } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const id = Number(request.params.id);
    await core.twoFactor.manage.setSiteRequirement(op.caller, id, request.body.requirement === '1' ? 1 : 0, request.ip);
    return tenantPage(op, id, { kind: 'ok', text: 'The 2FA requirement is saved.' });
  });

  app.post('/console/tenants/:id/accounts', { schema: { hide: true, params: IdParams, body: AccountForm } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const id = Number(request.params.id);
    const account = await core.accounts.create(op.caller, { tenant: id, email: request.body.email, password: request.body.password, role: request.body.role });
    return tenantPage(op, id, { kind: 'ok', text: `Created ${account.email}.` });
  });

  const accountAction = (path: string, act: (op: Operator, account: { id: number; tenantId: number }, ip: string) => Promise<string>) =>
    app.post(`/console/accounts/:id/${path}`, { schema: { hide: true, params: IdParams, body: Plain } }, async (request, reply) => {
      const op = await operator(core, request, reply);
      if (!op) return reply;
      const id = Number(request.params.id);
      const account = await core.accounts.get(op.caller, id);
      const text = await act(op, account, request.ip);
      return tenantPage(op, account.tenantId, { kind: 'ok', text: `${account.email ?? `#${id}`}: ${text}` });
    });

  accountAction('block', async (op, a) => (await core.accounts.update(op.caller, a.id, { blocked: true }), 'blocked.'));
  accountAction('unblock', async (op, a) => (await core.accounts.update(op.caller, a.id, { blocked: false }), 'unblocked.'));
  // accounts.get above checked the operator's reach; core.login.unlock checks that it is a manager.
  accountAction('unlock', async (op, a, ip) => ((await core.login.unlock(op.caller, a, ip)) ? 'unlocked.' : 'was not locked.'));
  accountAction('reset-2fa', async (op, a, ip) => (await core.twoFactor.manage.deleteConfig(op.caller, a.id, 'any', ip), '2FA reset; the next sign-in enrols again where the site requires it.'));
};
