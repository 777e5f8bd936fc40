/**
 * The admin API's credentials inventory and the ends of life (issue 25): API keys and auth tokens in
 * the caller's reach, listed without their secrets and revoked one or all of an owner's; an admin's
 * password reset; deleting an account and an empty tenant. Reach and roles: core (roles.ts).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Capability } from '../../core/roles.js';
import type { Core } from '../../core/core.js';
import type { ApiKeyInfo, AuthTokenInfo, Creator } from '../../core/credentials/inventory.js';
import { type AuthScheme, callerOf, security } from '../http/authenticate.js';
import { Id, TenantRef } from '../http/schemas.js';
import { AccountView, accountView } from './routes.js';

const AUTH: AuthScheme[] = ['basic', 'apiKey', 'jwt'];
const access = (capability: Capability) => ({ auth: AUTH, capability });
const tags = ['admin'];

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });

const CreatorView = Type.Object(
  {
    kind: Type.Union([Type.Literal('account'), Type.Literal('tenant'), Type.Literal('operator'), Type.Literal('unknown')]),
    id: Type.Union([Type.Integer(), Type.Null()]),
    label: Type.String(),
  },
  { description: 'who made it: an account, a tenant\'s own credentials, the operator (CLI), or unknown (made before Gatehouse recorded it)' },
);
const creatorView = (c: Creator) => ({ kind: c.kind, id: c.id, label: c.label });

const ApiKeyView = Type.Object({
  id: Type.Integer(),
  prefix: Type.Union([Type.String(), Type.Null()], { description: 'the first 12 characters of the key (gha_ and 8 more); null for a key made before they were kept' }),
  name: Type.Union([Type.String(), Type.Null()]),
  accountId: Type.Integer(),
  owner: Type.String({ description: 'the owner account\'s email, else its username' }),
  ownerRole: Type.String(),
  tenantId: Type.Integer(),
  createdAt: DateTime,
  expiresAt: Nullable(DateTime),
  lastUsedAt: Type.Union([DateTime, Type.Null()], { description: 'to the minute: written at most once a minute per key' }),
  createdBy: CreatorView,
});
const apiKeyView = (k: ApiKeyInfo) => ({
  id: k.id,
  prefix: k.prefix,
  name: k.name,
  accountId: k.accountId,
  owner: k.owner,
  ownerRole: k.ownerRole,
  tenantId: k.tenantId,
  createdAt: iso(k.createdAt)!,
  expiresAt: iso(k.expiresAt),
  lastUsedAt: iso(k.lastUsedAt),
  createdBy: creatorView(k.createdBy),
});

const AuthTokenView = Type.Object({
  id: Type.Integer(),
  prefix: Type.Union([Type.String(), Type.Null()], { description: 'the first 12 characters of the token (ght_ and 8 more); null for a token made before they were kept' }),
  tenantId: Type.Integer(),
  tenantSid: Type.String(),
  owner: Type.String({ description: 'the tenant\'s name' }),
  createdAt: DateTime,
  expiresAt: Type.Null({ description: 'auth tokens do not expire' }),
  lastUsedAt: Type.Union([DateTime, Type.Null()], { description: 'to the minute: written at most once a minute per token' }),
  createdBy: CreatorView,
});
const authTokenView = (t: AuthTokenInfo) => ({
  id: t.id,
  prefix: t.prefix,
  tenantId: t.tenantId,
  tenantSid: t.tenantSid,
  owner: t.owner,
  createdAt: iso(t.createdAt)!,
  expiresAt: null,
  lastUsedAt: iso(t.lastUsedAt),
  createdBy: creatorView(t.createdBy),
});

const Revoked = Type.Object({ revoked: Type.Integer({ description: 'how many were revoked' }) });
const IdParams = Type.Object({ id: Id });
const TenantParams = Type.Object({ tenant: TenantRef });
const TenantFilter = Type.Object({ tenant: Type.Optional(TenantRef) }, { additionalProperties: false });
const NewPassword = Type.Object({ password: Type.String({ minLength: 8, maxLength: 200 }) }, { additionalProperties: false });

export const credentialRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const schema = <T extends object>(s: T) => ({ tags, security: security(AUTH), ...s });

  app.get('/admin/api-keys', { config: access('credentials.read'), schema: schema({ summary: 'API keys in reach, without their secrets (optionally of one tenant)', querystring: TenantFilter, response: { 200: Type.Object({ apiKeys: Type.Array(ApiKeyView) }) } }) }, async (req) => ({
    apiKeys: (await core.inventory.listApiKeys(callerOf(req), { tenant: req.query.tenant })).map(apiKeyView),
  }));

  app.get('/admin/accounts/:id/api-keys', { config: access('credentials.read'), schema: schema({ summary: 'The account\'s API keys, without their secrets', params: IdParams, response: { 200: Type.Object({ apiKeys: Type.Array(ApiKeyView) }) } }) }, async (req) => ({
    apiKeys: (await core.inventory.listApiKeys(callerOf(req), { accountId: req.params.id })).map(apiKeyView),
  }));

  app.delete('/admin/accounts/:id/api-keys', { config: access('credentials.mint'), schema: schema({ summary: 'Revoke every API key of the account', params: IdParams, response: { 200: Revoked } }) }, async (req) => ({
    revoked: await core.inventory.revokeApiKeysOf(callerOf(req), req.params.id),
  }));

  app.get('/admin/auth-tokens', { config: access('credentials.read'), schema: schema({ summary: 'Auth tokens of the tenants in reach, without their secrets (optionally of one tenant)', querystring: TenantFilter, response: { 200: Type.Object({ authTokens: Type.Array(AuthTokenView) }) } }) }, async (req) => ({
    authTokens: (await core.inventory.listAuthTokens(callerOf(req), { tenant: req.query.tenant })).map(authTokenView),
  }));

  app.get('/admin/tenants/:tenant/auth-tokens', { config: access('credentials.read'), schema: schema({ summary: 'The tenant\'s auth tokens, without their secrets', params: TenantParams, response: { 200: Type.Object({ authTokens: Type.Array(AuthTokenView) }) } }) }, async (req) => ({
    authTokens: (await core.inventory.listAuthTokens(callerOf(req), { tenant: req.params.tenant })).map(authTokenView),
  }));

  app.delete('/admin/tenants/:tenant/auth-tokens', { config: access('tenants.manage'), schema: schema({ summary: 'Revoke every auth token of the tenant (its SID authenticates nothing until a new one is added)', params: TenantParams, response: { 200: Revoked } }) }, async (req) => ({
    revoked: await core.inventory.revokeAuthTokensOf(callerOf(req), req.params.tenant),
  }));

  app.post('/admin/accounts/:id/password-reset', { config: access('accounts.manage'), schema: schema({ summary: 'Set a new password for the account; its sessions, JWTs and trusted devices end', params: IdParams, body: NewPassword, response: { 200: AccountView } }) }, async (req) =>
    accountView(await core.lifecycle.resetPassword(callerOf(req), req.params.id, req.body.password)),
  );

  app.delete('/admin/accounts/:id', { config: access('accounts.manage'), schema: schema({ summary: 'Delete the account (a SIP username is never given again in its domain)', params: IdParams }) }, async (req, reply) => {
    await core.lifecycle.deleteAccount(callerOf(req), req.params.id);
    return reply.status(204).send();
  });

  app.delete('/admin/tenants/:tenant', { config: access('tenants.manage'), schema: schema({ summary: 'Delete a tenant that has no accounts and no sub-tenants (409 otherwise, saying what is left)', params: TenantParams }) }, async (req, reply) => {
    await core.lifecycle.deleteTenant(callerOf(req), req.params.tenant);
    return reply.status(204).send();
  });
};
