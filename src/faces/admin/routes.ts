/**
 * Gatehouse's own management API: tenants, their auth tokens and SIP domains, accounts, API keys
 * and JWTs. Callers: an admin key, or a tenant's own credentials for its subtree.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Account } from '../../core/accounts/accounts.js';
import { ACCOUNT_ROLES } from '../../core/callers.js';
import type { Capability } from '../../core/roles.js';
import type { Core } from '../../core/core.js';
import type { Tenant } from '../../core/tenants/tenants.js';
import { type AuthScheme, callerOf, security } from '../http/authenticate.js';
import { DateTimeInput, Id, TenantRef, dateTimeOf } from '../http/schemas.js';
import { changeRoutes } from './change-routes.js';
import { credentialRoutes } from './credential-routes.js';

const AUTH: AuthScheme[] = ['basic', 'apiKey', 'jwt'];
/** Each route's credentials and the capability it needs (core/roles.ts). */
const access = (capability: Capability) => ({ auth: AUTH, capability });
const tags = ['admin'];

const TenantView = Type.Object({
  id: Type.Integer(),
  sid: Type.String(),
  name: Type.String(),
  parentId: Type.Union([Type.Integer(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()], { description: 'contact email, shown as Smart 2FA\'s accountEmail' }),
  createdAt: Type.String({ format: 'date-time' }),
});
const tenantView = (t: Tenant) => ({ id: t.id, sid: t.sid, name: t.name, parentId: t.parentId, email: t.email, createdAt: new Date(t.createdAt).toISOString() });

const Role = Type.Union(ACCOUNT_ROLES.map((r) => Type.Literal(r)));
export const AccountView = Type.Object({
  id: Type.Integer(),
  tenantId: Type.Integer(),
  username: Type.Union([Type.String(), Type.Null()]),
  domain: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
  displayName: Type.Union([Type.String(), Type.Null()]),
  role: Role,
  activated: Type.Boolean(),
  blocked: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});
export const accountView = (a: Account) => ({
  id: a.id,
  tenantId: a.tenantId,
  username: a.username,
  domain: a.domain,
  email: a.email,
  phone: a.phone,
  displayName: a.displayName,
  role: a.role,
  activated: a.activated,
  blocked: a.blocked,
  createdAt: new Date(a.createdAt).toISOString(),
});

const lockView = (l: { lockedUntil: number | null; failures: number }) => ({ lockedUntil: l.lockedUntil === null ? null : new Date(l.lockedUntil).toISOString(), failures: l.failures });

const TenantParams = Type.Object({ tenant: TenantRef });
const IdParams = Type.Object({ id: Id });

const NewTenant = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), parent: Type.Optional(TenantRef), email: Type.Optional(Type.String({ maxLength: 254 })) },
  { additionalProperties: false },
);
const TenantChanges = Type.Object({ email: Type.Union([Type.String({ maxLength: 254 }), Type.Null()]) }, { additionalProperties: false });
const LockView = Type.Object({
  lockedUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'until when 10 consecutive second-factor failures lock the account; null when not locked' }),
  failures: Type.Integer({ description: 'consecutive second-factor failures so far' }),
});
const NewAccount = Type.Object(
  {
    tenant: TenantRef,
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 200 })),
    role: Type.Optional(Role),
    username: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._+-]{1,64}$', maxLength: 64 })),
    domain: Type.Optional(Type.String({ maxLength: 253 })),
    phone: Type.Optional(Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', maxLength: 16 })),
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
const AccountChanges = Type.Object(
  {
    blocked: Type.Optional(Type.Boolean()),
    activated: Type.Optional(Type.Boolean()),
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 200 })),
    displayName: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    phone: Type.Optional(Type.Union([Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', maxLength: 16 }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
const NewApiKey = Type.Object(
  { name: Type.Optional(Type.String({ maxLength: 200 })), expiresAt: Type.Optional(DateTimeInput) },
  { additionalProperties: false },
);

export const adminFace: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const schema = <T extends object>(s: T) => ({ tags, security: security(AUTH), ...s });
  await app.register(changeRoutes, { core });
  // Listing and revoking credentials, password resets, deleting accounts and tenants (issue 25).
  await plain.register(credentialRoutes, { core });

  app.post('/admin/tenants', { config: access('tenants.manage'), schema: schema({ summary: 'Create a tenant (a sub-tenant of the caller unless an admin names none)', body: NewTenant, response: { 201: Type.Intersect([TenantView, Type.Object({ authToken: Type.String() })]) } }) }, async (req, reply) => {
    const { tenant, authToken } = await core.tenants.create(callerOf(req), req.body);
    return reply.status(201).send({ ...tenantView(tenant), authToken });
  });

  app.get('/admin/tenants', { config: access('tenants.read'), schema: schema({ summary: 'Tenants the caller reaches', querystring: Type.Object({ parent: Type.Optional(TenantRef) }), response: { 200: Type.Object({ tenants: Type.Array(TenantView) }) } }) }, async (req) => ({
    tenants: (await core.tenants.list(callerOf(req), { parent: req.query.parent })).map(tenantView),
  }));

  app.get('/admin/tenants/:tenant', { config: access('tenants.read'), schema: schema({ summary: 'One tenant', params: TenantParams, response: { 200: TenantView } }) }, async (req) =>
    tenantView(await core.tenants.get(callerOf(req), req.params.tenant)),
  );

  app.patch('/admin/tenants/:tenant', { config: access('tenants.manage'), schema: schema({ summary: 'Set or clear (null) the tenant\'s contact email', params: TenantParams, body: TenantChanges, response: { 200: TenantView } }) }, async (req) =>
    tenantView(await core.tenants.setEmail(callerOf(req), req.params.tenant, req.body.email)),
  );

  app.post('/admin/tenants/:tenant/auth-tokens', { config: access('tenants.manage'), schema: schema({ summary: 'Add an auth token (shown once)', params: TenantParams, response: { 201: Type.Object({ id: Type.Integer(), authToken: Type.String() }) } }) }, async (req, reply) =>
    reply.status(201).send(await core.tenants.addAuthToken(callerOf(req), req.params.tenant)),
  );

  app.delete('/admin/tenants/:tenant/auth-tokens/:id', { config: access('tenants.manage'), schema: schema({ summary: 'Revoke an auth token', params: Type.Object({ tenant: TenantRef, id: Id }) }) }, async (req, reply) => {
    await core.tenants.revokeAuthToken(callerOf(req), req.params.tenant, req.params.id);
    return reply.status(204).send();
  });

  app.post('/admin/tenants/:tenant/sip-domains', { config: access('tenants.manage'), schema: schema({ summary: 'Give the tenant a SIP domain', params: TenantParams, body: Type.Object({ domain: Type.String({ minLength: 1, maxLength: 253 }) }, { additionalProperties: false }), response: { 201: Type.Object({ domain: Type.String(), tenantId: Type.Integer() }) } }) }, async (req, reply) =>
    reply.status(201).send(await core.tenants.addSipDomain(callerOf(req), req.params.tenant, req.body.domain)),
  );

  app.get('/admin/tenants/:tenant/sip-domains', { config: access('tenants.read'), schema: schema({ summary: 'The tenant\'s SIP domains', params: TenantParams, response: { 200: Type.Object({ domains: Type.Array(Type.Object({ domain: Type.String(), createdAt: Type.Integer() })) }) } }) }, async (req) => ({
    domains: await core.tenants.listSipDomains(callerOf(req), req.params.tenant),
  }));

  app.post('/admin/accounts', { config: access('accounts.manage'), schema: schema({ summary: 'Create an account (agent, super agent, admin or SIP)', body: NewAccount, response: { 201: AccountView } }) }, async (req, reply) =>
    reply.status(201).send(accountView(await core.accounts.create(callerOf(req), req.body))),
  );

  app.get('/admin/accounts', { config: access('accounts.read'), schema: schema({ summary: 'Accounts of a tenant', querystring: Type.Object({ tenant: TenantRef }), response: { 200: Type.Object({ accounts: Type.Array(AccountView) }) } }) }, async (req) => ({
    accounts: (await core.accounts.list(callerOf(req), req.query.tenant)).map(accountView),
  }));

  app.get('/admin/accounts/:id', { config: access('accounts.read'), schema: schema({ summary: 'One account, with its login lock', params: IdParams, response: { 200: Type.Intersect([AccountView, Type.Object({ lock: LockView })]) } }) }, async (req) => {
    const account = await core.accounts.get(callerOf(req), req.params.id);
    return { ...accountView(account), lock: lockView(await core.login.lockState(account.id)) };
  });

  app.post('/admin/accounts/:id/unlock', { config: access('accounts.manage'), schema: schema({ summary: 'Lift the account\'s login lock and clear its run of failures', params: IdParams, response: { 200: Type.Intersect([AccountView, Type.Object({ lock: LockView })]) } }) }, async (req) => {
    const caller = callerOf(req);
    const account = await core.accounts.get(caller, req.params.id, 'accounts.manage');
    await core.login.unlock(caller, account);
    return { ...accountView(account), lock: lockView(await core.login.lockState(account.id)) };
  });

  app.patch('/admin/accounts/:id', { config: access('accounts.manage'), schema: schema({ summary: 'Block, activate, or change an account', params: IdParams, body: AccountChanges, response: { 200: AccountView } }) }, async (req) =>
    accountView(await core.accounts.update(callerOf(req), req.params.id, req.body)),
  );

  app.post('/admin/accounts/:id/api-keys', { config: access('credentials.mint'), schema: schema({ summary: 'Create an API key for the account (shown once)', params: IdParams, body: Type.Optional(NewApiKey), response: { 201: Type.Object({ id: Type.Integer(), apiKey: Type.String() }) } }) }, async (req, reply) => {
    const body: Static<typeof NewApiKey> = req.body ?? {};
    const created = await core.credentials.createApiKey(callerOf(req), {
      accountId: req.params.id,
      name: body.name,
      expiresAt: body.expiresAt ? dateTimeOf('expiresAt', body.expiresAt) : null,
    });
    return reply.status(201).send(created);
  });

  app.delete('/admin/api-keys/:id', { config: access('credentials.mint'), schema: schema({ summary: 'Revoke an API key', params: IdParams }) }, async (req, reply) => {
    await core.credentials.revokeApiKey(callerOf(req), req.params.id);
    return reply.status(204).send();
  });

  app.post('/admin/accounts/:id/jwt', { config: access('credentials.mint'), schema: schema({ summary: 'Issue a Gatehouse JWT for the account', params: IdParams, response: { 200: Type.Object({ token: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }) } }) }, async (req) => {
    const { token, expiresAt } = await core.credentials.issueJwt(callerOf(req), req.params.id);
    return { token, expiresAt: new Date(expiresAt).toISOString() };
  });
};
