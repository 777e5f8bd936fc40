/**
 * The fraud guard's API on the Smart 2FA face (docs/delivery.md "Fraud guard"): the destination
 * prefixes blocked for low conversion, lifting one, and the tenant's safe list of numbers the
 * conversion guard never blocks. Capability codes.policy, like the country allow list.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Core } from '../../core/core.js';
import { callerOf, security } from '../http/authenticate.js';
import { AUTH, Answer, access, tags } from './common.js';

const errors = { '4xx': Answer, '5xx': Answer };
const AccountSid = Type.Optional(Type.String({ maxLength: 34, description: 'a tenant in reach (default: the caller\'s own)' }));
const Prefix = Type.String({ minLength: 3, maxLength: 16, description: 'calling code and first national digits, such as +1-415' });

const Blocked = Type.Object({
  prefix: Prefix,
  blockedAt: Type.String({ description: 'ISO 8601' }),
  blockedUntil: Type.String({ description: 'ISO 8601: the block ends by itself then' }),
  sent: Type.Integer({ description: 'codes sent to the prefix in the window when it was blocked' }),
  verified: Type.Integer({ description: 'of those, how many were verified' }),
});
const BlockedAnswer = Type.Object({ data: Type.Object({ accountSid: Type.String(), blockedPrefixes: Type.Array(Blocked) }), code: Type.Integer(), message: Type.String() });
const SafeAnswer = Type.Object({ data: Type.Object({ accountSid: Type.String(), numbers: Type.Array(Type.String()) }), code: Type.Integer(), message: Type.String() });

export const fraudRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const config = access('codes.policy');
  const iso = (ms: number) => new Date(ms).toISOString();

  app.get(
    '/2fa/fraud/blocked-prefixes',
    {
      config,
      schema: {
        tags, summary: 'Destination prefixes the fraud guard blocks for this tenant now (low conversion)', security: security(AUTH),
        querystring: Type.Object({ accountSid: AccountSid }), response: { 200: BlockedAnswer, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const tenant = await core.limits.target(caller, req.query.accountSid);
      const blocked = await core.fraud.blockedPrefixes(caller, tenant);
      return {
        data: { accountSid: tenant.sid, blockedPrefixes: blocked.map((b) => ({ prefix: b.prefix, blockedAt: iso(b.blockedAt), blockedUntil: iso(b.blockedUntil), sent: b.sent, verified: b.verified })) },
        code: 200,
        message: 'OK',
      };
    },
  );

  app.post(
    '/2fa/fraud/blocked-prefixes/lift',
    {
      config,
      schema: {
        tags, summary: 'Lift a blocked prefix: its sends go again and its conversion is measured afresh', security: security(AUTH),
        body: Type.Object({ prefix: Prefix, accountSid: AccountSid }), response: { 200: Answer, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const tenant = await core.limits.target(caller, req.body.accountSid);
      await core.fraud.lift(caller, tenant, req.body.prefix);
      return { code: 200, message: 'lifted', requestID: null };
    },
  );

  app.get(
    '/2fa/fraud/safe-numbers',
    {
      config,
      schema: {
        tags, summary: 'Numbers the conversion guard never blocks for this tenant', security: security(AUTH),
        querystring: Type.Object({ accountSid: AccountSid }), response: { 200: SafeAnswer, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const tenant = await core.limits.target(caller, req.query.accountSid);
      return { data: { accountSid: tenant.sid, numbers: await core.fraud.safeList(caller, tenant) }, code: 200, message: 'OK' };
    },
  );

  app.put(
    '/2fa/fraud/safe-numbers',
    {
      config,
      schema: {
        tags, summary: 'Set the safe list (replaces it; empty clears it)', security: security(AUTH),
        body: Type.Object({ numbers: Type.Array(Type.String({ maxLength: 16 }), { maxItems: 1000 }), accountSid: AccountSid }),
        response: { 200: SafeAnswer, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const tenant = await core.limits.target(caller, req.body.accountSid);
      return { data: { accountSid: tenant.sid, numbers: await core.fraud.setSafeList(caller, tenant, req.body.numbers) }, code: 200, message: 'OK' };
    },
  );
};
