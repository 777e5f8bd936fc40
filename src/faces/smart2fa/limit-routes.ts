/** Named limits (create, update, delete, search) and the destination-country allow list. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Core } from '../../core/core.js';
import type { Limit } from '../../core/limits/limits.js';
import { callerOf, security } from '../http/authenticate.js';
import { PageFields, PagingQuery, page, pageNumber, parseSort, parseTime, specDate } from './paging.js';
import { AUTH, Answer, access, tags } from './common.js';

const LimitData = Type.Object({
  sid: Type.String(),
  name: Type.String(),
  buckets: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  accountSid: Type.String(),
  accountEmail: Type.String({ description: 'contact email of accountSid\'s tenant; empty when it has none' }),
  targetAccountSid: Type.String(),
  targetAccountEmail: Type.String({ description: 'contact email of targetAccountSid\'s tenant; empty when it has none' }),
  uri: Type.String(),
  dateCreated: Type.String(),
  dateUpdated: Type.String(),
});
const limitData = (l: Limit) => ({
  sid: l.sid,
  name: l.name,
  buckets: l.buckets,
  description: l.description,
  accountSid: l.accountSid,
  // Strings, as the document's examples show: a tenant without a contact email shows "".
  accountEmail: l.accountEmail ?? '',
  targetAccountSid: l.targetAccountSid,
  targetAccountEmail: l.targetAccountEmail ?? '',
  uri: `/2fa/limits/search/${l.sid}`,
  dateCreated: specDate(l.createdAt),
  dateUpdated: specDate(l.updatedAt),
});

// A JSON string or an array of {name, max, interval}; core validates either form (a schema union
// here would let Ajv's type coercion rewrite a one-bucket array before the second branch sees it).
const Buckets = Type.Unknown({ description: 'JSON string or array of {name, max, interval}; max and interval as strings or numbers, interval in seconds' });
const LimitAnswer = Type.Object({ data: LimitData, code: Type.Integer(), message: Type.String() });
const errors = { '4xx': Answer, '5xx': Answer };
const SidParams = Type.Object({ sid: Type.String({ maxLength: 64 }) });
const config = access('codes.policy');

export const limitRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/2fa/limits',
    {
      config,
      schema: {
        tags, summary: 'Create a limit', security: security(AUTH),
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), buckets: Buckets, description: Type.Optional(Type.String({ maxLength: 1000 })), accountSid: Type.Optional(Type.String({ maxLength: 34 })) }),
        response: { 200: LimitAnswer, ...errors },
      },
    },
    async (req) => ({ data: limitData(await core.limits.create(callerOf(req), req.body)), code: 200, message: 'OK' }),
  );

  app.put(
    '/2fa/limits/:sid',
    {
      config,
      schema: {
        tags, summary: 'Update a limit', security: security(AUTH), params: SidParams,
        body: Type.Object({ buckets: Type.Optional(Buckets), description: Type.Optional(Type.String({ maxLength: 1000 })) }),
        response: { 200: LimitAnswer, ...errors },
      },
    },
    async (req) => ({ data: limitData(await core.limits.update(callerOf(req), req.params.sid, req.body)), code: 200, message: 'OK' }),
  );

  app.delete(
    '/2fa/limits/:sid',
    { config, schema: { tags, summary: 'Delete a limit', security: security(AUTH), params: SidParams, response: { 200: LimitAnswer, ...errors } } },
    async (req) => ({ data: limitData(await core.limits.remove(callerOf(req), req.params.sid)), code: 200, message: 'OK' }),
  );

  // The document's URIs carry a trailing slash (/2fa/limits/search/?pageSize=2): the same search.
  for (const path of ['/2fa/limits/search', '/2fa/limits/search/']) app.get(
    path,
    {
      config,
      schema: {
        tags, summary: 'Search limits', hide: path.endsWith('/'), security: security(AUTH),
        querystring: Type.Object({ ...PagingQuery, name: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 200: Type.Object({ data: Type.Object({ result: Type.Array(LimitData), ...PageFields }), code: Type.Integer(), message: Type.String() }), ...errors },
      },
    },
    async (req) => {
      const q = req.query;
      const [sortBy, direction] = parseSort(q.SortBy, ['name', 'dateCreated'] as const, ['dateCreated', 'asc']);
      const pageNo = pageNumber(q);
      const pageSize = q.pageSize ?? 10;
      const { rows, total } = await core.limits.search(callerOf(req), {
        page: pageNo, pageSize, name: q.name, accountSid: q.accountSid, subAccounts: q.subAccounts,
        startTime: parseTime('startTime', q.startTime), endTime: parseTime('endTime', q.endTime), sortBy, direction,
      });
      return { data: { result: rows.map(limitData), ...page('/2fa/limits/search', q, pageNo, pageSize, total, rows.length) }, code: 200, message: 'OK' };
    },
  );

  app.get(
    '/2fa/limits/search/:sid',
    { config, schema: { tags, summary: 'One limit', security: security(AUTH), params: SidParams, response: { 200: LimitAnswer, ...errors } } },
    async (req) => ({ data: limitData(await core.limits.get(callerOf(req), req.params.sid)), code: 200, message: 'OK' }),
  );

  // The tenant's Smart 2FA settings: the destination countries, and the default fallback channels of a
  // send that names none (docs/delivery.md "Channel fallback"). A PUT changes the fields it names.
  const AllowedCallingCodes = Type.Array(Type.String({ maxLength: 8 }), { maxItems: 300, description: 'Calling codes allowed for sms and call; empty = all' });
  const DefaultFallback = Type.Array(Type.String({ maxLength: 8 }), { maxItems: 5, description: 'Fallback channels ("call", "sms") of a send that names no fallback; empty = none' });
  const CountriesAnswer = Type.Object({
    data: Type.Object({ accountSid: Type.String(), allowedCallingCodes: Type.Array(Type.String()), defaultFallback: Type.Array(Type.String()) }),
    code: Type.Integer(),
    message: Type.String(),
  });
  const settingsOf = async (caller: ReturnType<typeof callerOf>, tenant: { id: number; sid: string }) => ({
    accountSid: tenant.sid,
    allowedCallingCodes: await core.settings.allowedCallingCodes(caller, tenant),
    defaultFallback: await core.settings.defaultFallback(caller, tenant),
  });

  app.get(
    '/2fa/settings/countries',
    { config, schema: { tags, summary: 'Destination countries allowed for sms and call, and the default fallback channels', security: security(AUTH), querystring: Type.Object({ accountSid: Type.Optional(Type.String({ maxLength: 34 })) }), response: { 200: CountriesAnswer, ...errors } } },
    async (req) => {
      const caller = callerOf(req);
      const tenant = await core.limits.target(caller, req.query.accountSid);
      return { data: await settingsOf(caller, tenant), code: 200, message: 'OK' };
    },
  );

  app.put(
    '/2fa/settings/countries',
    {
      config,
      schema: {
        tags, summary: 'Set the destination countries allowed for sms and call (empty = all) and the default fallback channels; a field left out is unchanged', security: security(AUTH),
        body: Type.Object({ allowedCallingCodes: Type.Optional(AllowedCallingCodes), defaultFallback: Type.Optional(DefaultFallback), accountSid: Type.Optional(Type.String({ maxLength: 34 })) }),
        response: { 200: CountriesAnswer, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const tenant = await core.limits.target(caller, req.body.accountSid);
      await core.settings.update(caller, tenant, { allowedCallingCodes: req.body.allowedCallingCodes, defaultFallback: req.body.defaultFallback });
      return { data: await settingsOf(caller, tenant), code: 200, message: 'OK' };
    },
  );
};
