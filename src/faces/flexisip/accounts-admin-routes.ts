/** Domain administration of accounts (Admin): create, replace, list, read, search, delete, flags, provision. */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { callerOf, security } from '../http/authenticate.js';
import { AccountBody } from './account-body.js';
import { ADMIN, Account, IdParams, accountJson, asAdmin, errors, tags } from './common.js';
import type { FlexisipRouteOptions } from './routes.js';

const PER_PAGE = 20;

const Page = Type.Object(
  {
    current_page: Type.Integer(),
    data: Type.Array(Account),
    from: Type.Union([Type.Integer(), Type.Null()]),
    last_page: Type.Integer(),
    per_page: Type.Integer(),
    to: Type.Union([Type.Integer(), Type.Null()]),
    total: Type.Integer(),
    first_page_url: Type.String(),
    last_page_url: Type.String(),
    next_page_url: Type.Union([Type.String(), Type.Null()]),
    prev_page_url: Type.Union([Type.String(), Type.Null()]),
    path: Type.String(),
  },
  { description: "one page of accounts, in the upstream (Laravel) pagination shape" },
);

export const accountsAdminRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const f = core.flexisip;
  const json = (a: Parameters<typeof accountJson>[0]) => accountJson(a, f.accounts.realmOf);
  const config = asAdmin;
  const base = { tags, security: security(ADMIN) };

  // 200, as upstream answers every account creation (it answers the account read back, not the new model).
  app.post('/accounts', { config, schema: { ...base, summary: 'Create an account (Admin)', body: AccountBody, response: { 200: Account, ...errors } } }, async (req) => json(await f.adminCreate(callerOf(req), req.body)));

  app.put(
    '/accounts/:id',
    { config, schema: { ...base, summary: 'Replace an account (Admin): password and algorithm required, omitted fields cleared', params: IdParams, body: AccountBody, response: { 200: Account, ...errors } } },
    async (req) => json(await f.adminUpdate(callerOf(req), req.params.id, req.body)),
  );

  app.get(
    '/accounts',
    { config, schema: { ...base, summary: 'Every account of the caller\'s domains, 20 a page (Admin)', querystring: Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })) }), response: { 200: Page, ...errors } } },
    async (req) => {
      const page = req.query.page ?? 1;
      const { items, total } = await f.adminList(callerOf(req), page, PER_PAGE);
      const lastPage = Math.max(1, Math.ceil(total / PER_PAGE));
      const path = '/api/accounts';
      const url = (p: number) => `${path}?page=${p}`;
      return {
        current_page: page,
        data: items.map((account) => json({ account })),
        from: items.length ? (page - 1) * PER_PAGE + 1 : null,
        to: items.length ? (page - 1) * PER_PAGE + items.length : null,
        last_page: lastPage,
        per_page: PER_PAGE,
        total,
        first_page_url: url(1),
        last_page_url: url(lastPage),
        next_page_url: page < lastPage ? url(page + 1) : null,
        prev_page_url: page > 1 ? url(page - 1) : null,
        path,
      };
    },
  );

  app.get('/accounts/:id', { config, schema: { ...base, summary: 'An account (Admin)', params: IdParams, response: { 200: Account, ...errors } } }, async (req) =>
    json(await f.adminGet(callerOf(req), req.params.id)),
  );

  app.get(
    '/accounts/:sip/search',
    { config, schema: { ...base, summary: 'An account by SIP address (Admin)', params: Type.Object({ sip: Type.String({ maxLength: 330 }) }), response: { 200: Account, ...errors } } },
    async (req) => json(await f.adminSearch(callerOf(req), req.params.sip)),
  );

  app.get(
    '/accounts/:email/search-by-email',
    { config, schema: { ...base, summary: 'An account by email (Admin)', params: Type.Object({ email: Type.String({ maxLength: 320 }) }), response: { 200: Account, ...errors } } },
    async (req) => json(await f.adminSearchByEmail(callerOf(req), req.params.email)),
  );

  app.delete('/accounts/:id', { config, schema: { ...base, summary: 'Delete an account (Admin)', params: IdParams, response: { 200: Type.Object({}), ...errors } } }, async (req) => {
    await f.adminDelete(callerOf(req), req.params.id);
    return {};
  });

  const flags = { activate: { activated: true }, deactivate: { activated: false }, block: { blocked: true }, unblock: { blocked: false } } as const;
  for (const [action, change] of Object.entries(flags)) {
    app.post(
      `/accounts/:id/${action}`,
      { config, schema: { ...base, summary: `${action[0]!.toUpperCase()}${action.slice(1)} an account (Admin)`, params: IdParams, response: { 200: Account, ...errors } } },
      async (req) => json(await f.adminSetFlags(callerOf(req), req.params.id, change)),
    );
  }

  app.get(
    '/accounts/:id/provision',
    { config: { ...config, changesState: true }, schema: { ...base, summary: 'A fresh provisioning_token for an account (Admin)', params: IdParams, response: { 200: Account, ...errors } } },
    async (req) => json(await f.adminProvision(callerOf(req), req.params.id)),
  );
};
