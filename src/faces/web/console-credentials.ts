/**
 * Credentials in the console (/console/credentials): the API keys and auth tokens the operator
 * reaches, without their secrets (prefix, owner, created, expires, last used, by whom), a search by a
 * leaked key (posted, never put in a URL: it is matched by its prefix), and revocation of one or of
 * all of an owner's. With ?tenant=N it is that tenant's access page: its accounts with password reset
 * and deletion, and the tenant's own deletion once it is empty.
 *
 * Every destructive action is the confirm pattern (confirm.ts): a page of its own asks, only its
 * confirmed post acts. Every action goes through core with the operator's caller (its reach, its role).
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Account } from '../../core/accounts/accounts.js';
import type { Core } from '../../core/core.js';
import type { ApiKeyInfo, AuthTokenInfo } from '../../core/credentials/inventory.js';
import { GatehouseError } from '../../core/errors.js';
import { can, mayActOn, scopeOf } from '../../core/roles.js';
import { ConfirmField, confirmBody, confirmLink } from './confirm.js';
import { type Operator, operator } from './console-auth.js';
import { type Html, type Notice, csrfField, html, when } from './html.js';
import { FormId } from './respond.js';

const BASE = '/console/credentials';
const Csrf = Type.String({ maxLength: 100 });
const IdParams = Type.Object({ id: FormId });
const ListQuery = Type.Object({ tenant: Type.Optional(FormId) }, { additionalProperties: false });
const Confirm = Type.Object({ _csrf: Csrf, confirm: ConfirmField }, { additionalProperties: false });
const FindForm = Type.Object({ _csrf: Csrf, key: Type.String({ maxLength: 200 }), tenant: Type.Optional(Type.Union([FormId, Type.Literal('')])) }, { additionalProperties: false });
const ResetForm = Type.Object({ _csrf: Csrf, confirm: ConfirmField, password: Type.Optional(Type.String({ maxLength: 1024 })) }, { additionalProperties: false });

const keyLabel = (k: { prefix: string | null }) => (k.prefix ? `${k.prefix}…` : '(made before prefixes were kept)');
const who = (a: Pick<Account, 'email' | 'username' | 'id'>) => a.email ?? a.username ?? `account #${a.id}`;

/** What a page needs to know of a tenant filter: ?tenant=N, or every tenant in reach. */
const tenantQuery = (tenant: number | null) => (tenant === null ? '' : `?tenant=${tenant}`);

export const consoleCredentials: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  function keyRows(op: Operator, keys: ApiKeyInfo[], found: string | null): Html {
    if (keys.length === 0) return html`<p class="muted" id="no-keys">${found ? 'No API key in reach starts like that.' : 'No API keys in reach.'}</p>`;
    return html`<div class="table"><table id="api-keys"><thead><tr><th>Key</th><th>Name</th><th>Owner</th><th>Created</th><th>Expires</th><th>Last used</th><th>Created by</th><th></th></tr></thead><tbody>${keys.map(
      (k) => html`<tr id="api-key-${k.id}" class="${found && k.prefix === found ? 'found' : ''}"><td><code>${keyLabel(k)}</code></td><td>${k.name ?? ''}</td>
<td>${k.owner} <span class="muted">(${k.ownerRole}, tenant #${k.tenantId})</span></td><td>${when(k.createdAt)}</td><td>${k.expiresAt ? when(k.expiresAt) : 'never'}</td>
<td>${k.lastUsedAt ? when(k.lastUsedAt) : 'not yet'}</td><td>${k.createdBy.label}</td>
<td><div class="actions">${confirmLink(`${BASE}/api-keys/${k.id}/revoke`, 'Revoke')}${confirmLink(`${BASE}/accounts/${k.accountId}/revoke-keys`, 'Revoke all of the owner\'s')}</div></td></tr>`,
    )}</tbody></table></div>`;
  }

  function tokenRows(tokens: AuthTokenInfo[]): Html {
    if (tokens.length === 0) return html`<p class="muted" id="no-tokens">No auth tokens in reach.</p>`;
    return html`<div class="table"><table id="auth-tokens"><thead><tr><th>Token</th><th>Tenant</th><th>Created</th><th>Last used</th><th>Created by</th><th></th></tr></thead><tbody>${tokens.map(
      (t) => html`<tr id="auth-token-${t.id}"><td><code>${keyLabel(t)}</code></td><td>${t.owner} <span class="muted">#${t.tenantId}</span></td><td>${when(t.createdAt)}</td>
<td>${t.lastUsedAt ? when(t.lastUsedAt) : 'not yet'}</td><td>${t.createdBy.label}</td>
<td><div class="actions">${confirmLink(`${BASE}/auth-tokens/${t.id}/revoke`, 'Revoke')}${confirmLink(`${BASE}/tenants/${t.tenantId}/revoke-tokens`, 'Revoke all of the tenant\'s')}</div></td></tr>`,
    )}</tbody></table></div>`;
  }

  /** A tenant's accounts, with what the operator may do to each (reset password, delete). */
  async function accountSection(op: Operator, tenant: number): Promise<Html> {
    const [t, accounts] = await Promise.all([core.tenants.get(op.caller, tenant), core.accounts.list(op.caller, tenant)]);
    const manageable = accounts.filter((a) => mayActOn(op.caller, 'accounts.manage', { id: a.id, role: a.role, tenantPath: t.path, domain: a.domain }));
    const rows = manageable.map(
      (a) => html`<tr id="account-${a.id}"><td>${who(a)}</td><td>${a.role}</td><td>${when(a.createdAt)}</td>
<td><div class="actions"><a class="button small secondary" href="${BASE}/accounts/${a.id}/reset-password">Reset password</a>${a.id === op.caller.accountId ? '' : confirmLink(`${BASE}/accounts/${a.id}/delete`, 'Delete account')}</div></td></tr>`,
    );
    const mayDelete = can(op.caller, 'tenants.manage') && !(op.caller.role !== 'admin' && op.caller.tenantId === t.id);
    return html`<section class="card"><h2>Accounts of ${t.name}</h2>${rows.length
      ? html`<div class="table"><table id="accounts"><thead><tr><th>Account</th><th>Role</th><th>Created</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`
      : html`<p class="muted">No account here you may manage.</p>`}
${mayDelete ? html`<p class="muted">A tenant is deleted once it has no accounts and no sub-tenants.</p><div class="actions">${confirmLink(`${BASE}/tenants/${t.id}/delete`, `Delete ${t.name}`)}</div>` : ''}</section>`;
  }

  async function list(op: Operator, tenant: number | null, notice: Notice | null = null, found: string | null = null, status = 200) {
    const tokensAllowed = scopeOf(op.caller, 'credentials.read') === 'all';
    let [keys, tokens] = await Promise.all([
      core.inventory.listApiKeys(op.caller, tenant === null ? {} : { tenant }),
      tokensAllowed ? core.inventory.listAuthTokens(op.caller, tenant === null ? {} : { tenant }) : Promise.resolve([]),
    ]);
    if (found !== null) {
      keys = keys.filter((k) => k.prefix === found);
      tokens = tokens.filter((t) => t.prefix === found);
    }
    const accounts = tenant !== null && can(op.caller, 'accounts.manage') ? await accountSection(op, tenant) : html``;
    return op.send(status, 'Credentials', BASE, html`
<p class="muted">The secret of a key or token is shown once, when it is made; here are its first characters, whose it is and when it was last used (to the minute).${tenant === null ? '' : html` Showing tenant #${tenant}: <a href="${BASE}">every tenant</a>.`}</p>
<section class="card"><h2>Find a leaked key or token</h2><form method="post" action="${BASE}/find">${csrfField(op.csrf)}<input type="hidden" name="tenant" value="${tenant === null ? '' : String(tenant)}"><div class="row">
<div><label for="find-key">The key or token (or its first 12 characters)</label><input id="find-key" name="key" autocomplete="off" required maxlength="200" placeholder="gha_… or ght_…"></div>
<button type="submit">Find</button></div><p class="muted">Sent in the form, never put in the address.</p></form>${found !== null ? html`<p><a href="${BASE}${tenantQuery(tenant)}">Show all again</a></p>` : ''}</section>
<section class="card"><h2>API keys</h2>${keyRows(op, keys, found)}</section>
${tokensAllowed ? html`<section class="card"><h2>Auth tokens</h2>${tokenRows(tokens)}</section>` : ''}
${accounts}`, notice);
  }

  app.get(BASE, { schema: { hide: true, querystring: ListQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? list(op, request.query.tenant ? Number(request.query.tenant) : null) : reply;
  });

  // A lookup by the key's value (posted, so it stays out of URLs and logs): a read, not audited.
  app.post(`${BASE}/find`, { config: { notAudited: 'read' }, schema: { hide: true, body: FindForm } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const tenant = request.body.tenant ? Number(request.body.tenant) : null;
    const prefix = request.body.key.trim().slice(0, 12);
    if (!/^gh[at]_[A-Za-z0-9_-]{8}$/.test(prefix)) {
      return list(op, tenant, { kind: 'error', text: 'Paste the key (gha_…) or token (ght_…), or at least its first 12 characters.' }, null, 400);
    }
    return list(op, tenant, null, prefix);
  });

  /**
   * One destructive action: GET asks on a page of its own; POST with confirm=yes acts and shows the
   * list with what was done; POST without it asks again and changes nothing.
   */
  function destructive(
    path: string,
    ask: (op: Operator, id: number) => Promise<{ question: string; button: string; cancel: string }>,
    act: (op: Operator, id: number) => Promise<{ text: string; tenant: number | null }>,
    /** Which tenant's page shows a refusal (a tenant that still has accounts): none, the whole list. */
    refusedOn: (id: number) => number | null = () => null,
  ) {
    const question = async (op: Operator, id: number, status = 200) => {
      const q = await ask(op, id);
      return op.send(status, q.button, BASE, confirmBody({ ...q, action: path.replace(':id', String(id)), csrf: op.csrf }));
    };
    app.get(path, { schema: { hide: true, params: IdParams } }, async (request, reply) => {
      const op = await operator(core, request, reply);
      return op ? question(op, Number(request.params.id)) : reply;
    });
    app.post(path, { schema: { hide: true, params: IdParams, body: Confirm } }, async (request, reply) => {
      const op = await operator(core, request, reply);
      if (!op) return reply;
      const id = Number(request.params.id);
      if (request.body.confirm !== 'yes') return question(op, id);
      try {
        const done = await act(op, id);
        return list(op, done.tenant, { kind: 'ok', text: done.text });
      } catch (err) {
        // A refusal that says what to do first (a tenant with accounts left) is shown where it can be done.
        if (err instanceof GatehouseError && err.code === 'conflict') return list(op, refusedOn(id), { kind: 'error', text: err.message }, null, 409);
        throw err;
      }
    });
  }

  const apiKey = async (op: Operator, id: number) => {
    const key = (await core.inventory.listApiKeys(op.caller)).find((k) => k.id === id);
    if (!key) throw new GatehouseError('not_found', 'API key not found');
    return key;
  };
  const authToken = async (op: Operator, id: number) => {
    const token = (await core.inventory.listAuthTokens(op.caller)).find((t) => t.id === id);
    if (!token) throw new GatehouseError('not_found', 'auth token not found');
    return token;
  };

  destructive(
    `${BASE}/api-keys/:id/revoke`,
    async (op, id) => {
      const k = await apiKey(op, id);
      return { question: `Revoke the API key ${keyLabel(k)}${k.name ? ` (${k.name})` : ''} of ${k.owner}? Every request with it is refused from now on.`, button: 'Revoke key', cancel: BASE };
    },
    async (op, id) => {
      const k = await apiKey(op, id);
      await core.inventory.revokeApiKey(op.caller, id);
      return { text: `Revoked ${keyLabel(k)} of ${k.owner}.`, tenant: null };
    },
  );

  destructive(
    `${BASE}/accounts/:id/revoke-keys`,
    async (op, id) => {
      const a = await core.accounts.get(op.caller, id, 'credentials.mint');
      return { question: `Revoke every API key of ${who(a)}? Every request with any of them is refused from now on.`, button: 'Revoke all keys', cancel: BASE };
    },
    async (op, id) => {
      const a = await core.accounts.get(op.caller, id, 'credentials.mint');
      const n = await core.inventory.revokeApiKeysOf(op.caller, id);
      return { text: `Revoked ${n} API key${n === 1 ? '' : 's'} of ${who(a)}.`, tenant: null };
    },
  );

  destructive(
    `${BASE}/auth-tokens/:id/revoke`,
    async (op, id) => {
      const t = await authToken(op, id);
      return { question: `Revoke the auth token ${keyLabel(t)} of ${t.owner}? Requests signed with it are refused from now on.`, button: 'Revoke token', cancel: BASE };
    },
    async (op, id) => {
      const t = await authToken(op, id);
      await core.inventory.revokeAuthToken(op.caller, id);
      return { text: `Revoked ${keyLabel(t)} of ${t.owner}.`, tenant: null };
    },
  );

  destructive(
    `${BASE}/tenants/:id/revoke-tokens`,
    async (op, id) => {
      const t = await core.tenants.get(op.caller, id);
      return { question: `Revoke every auth token of ${t.name}? Its SID authenticates nothing until a new token is added.`, button: 'Revoke all tokens', cancel: BASE };
    },
    async (op, id) => {
      const t = await core.tenants.get(op.caller, id);
      const n = await core.inventory.revokeAuthTokensOf(op.caller, id);
      return { text: `Revoked ${n} auth token${n === 1 ? '' : 's'} of ${t.name}.`, tenant: null };
    },
  );

  destructive(
    `${BASE}/accounts/:id/delete`,
    async (op, id) => {
      const a = await core.accounts.get(op.caller, id, 'accounts.manage');
      const sip = a.domain && a.username ? ` Its SIP username ${a.username} is never given again in ${a.domain}.` : '';
      return { question: `Delete the account ${who(a)}? Its keys, 2FA and sessions end at once.${sip}`, button: 'Delete account', cancel: `${BASE}?tenant=${a.tenantId}` };
    },
    async (op, id) => {
      const a = await core.lifecycle.deleteAccount(op.caller, id);
      return { text: `Deleted ${who(a)}.`, tenant: a.tenantId };
    },
  );

  destructive(
    `${BASE}/tenants/:id/delete`,
    async (op, id) => {
      const t = await core.tenants.get(op.caller, id);
      return { question: `Delete the tenant ${t.name}? Its auth tokens, SIP domains, settings and records go with it. Only a tenant without accounts and sub-tenants is deleted.`, button: 'Delete tenant', cancel: `${BASE}?tenant=${t.id}` };
    },
    async (op, id) => {
      const t = await core.lifecycle.deleteTenant(op.caller, id);
      return { text: `Deleted the tenant ${t.name}.`, tenant: null };
    },
    (id) => id,
  );

  // A password reset asks for the new password on its own page; only the confirmed post with it acts.
  const resetPage = async (op: Operator, id: number, notice: Notice | null = null, status = 200) => {
    const a = await core.accounts.get(op.caller, id, 'accounts.manage');
    return op.send(status, 'Reset password', BASE, html`<section class="card confirm"><p>Set a new password for ${who(a)}? Every session of the account ends at once (its web sessions, JWTs and trusted devices); tell the person the new password.</p>
<form method="post" action="${BASE}/accounts/${a.id}/reset-password">${csrfField(op.csrf)}<input type="hidden" name="confirm" value="yes">
<label for="new-password">New password</label><input id="new-password" name="password" type="password" minlength="8" maxlength="1024" required autocomplete="new-password">
<div class="actions"><button class="danger">Reset password</button> <a class="button secondary" href="${BASE}?tenant=${a.tenantId}">Cancel</a></div></form></section>`, notice);
  };
  app.get(`${BASE}/accounts/:id/reset-password`, { schema: { hide: true, params: IdParams } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? resetPage(op, Number(request.params.id)) : reply;
  });
  app.post(`${BASE}/accounts/:id/reset-password`, { schema: { hide: true, params: IdParams, body: ResetForm } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const id = Number(request.params.id);
    if (request.body.confirm !== 'yes' || request.body.password === undefined) return resetPage(op, id);
    try {
      const a = await core.lifecycle.resetPassword(op.caller, id, request.body.password);
      return list(op, a.tenantId, { kind: 'ok', text: `New password set for ${who(a)}; its sessions ended.` });
    } catch (err) {
      if (err instanceof GatehouseError && err.field === 'password') return resetPage(op, id, { kind: 'error', text: 'The password must be at least 8 characters.' }, 400);
      throw err;
    }
  });
};
