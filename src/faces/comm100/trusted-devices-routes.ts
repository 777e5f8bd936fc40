/**
 * Trusted devices (Gatehouse's own design; the Comm100 documents only issue them):
 *   GET    /global/trustedDevices[?agentId=]       the account's unexpired devices (never their tokens)
 *   DELETE /global/trustedDevices/{id}             revoke one
 *   DELETE /global/trustedDevices[?agentId=]       revoke all of an account's
 * An agent sees and revokes its own; a super agent, tenant or admin those of the accounts it manages.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import type { TrustedDevice } from '../../core/trusted-devices/trusted-devices.js';
import { type AuthScheme, callerOf, security } from '../http/authenticate.js';
import { Id } from '../http/schemas.js';
import { errors, lenient } from './schemas.js';

const AUTH: AuthScheme[] = ['jwt', 'apiKey'];
const config = { auth: AUTH, capability: 'twofactor.manage' as const };
const schema = <T extends object>(s: T) => ({ tags: ['comm100 trusted devices'], security: security(AUTH), ...s });

const Target = lenient({ agentId: Type.Optional(Id), superAgentId: Type.Optional(Id) });
const DeviceView = Type.Object({
  id: Type.Integer(),
  agentId: Type.Integer(),
  clientAddress: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  createdTime: Type.String({ format: 'date-time' }),
  expireTime: Type.String({ format: 'date-time' }),
});

const view = (d: TrustedDevice) => ({
  id: d.id,
  agentId: d.accountId,
  clientAddress: d.clientAddress,
  userAgent: d.userAgent,
  createdTime: new Date(d.createdAt).toISOString(),
  expireTime: new Date(d.expiresAt).toISOString(),
});

export const trustedDevicesRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/global/trustedDevices', { config, schema: schema({ summary: 'List an account\'s trusted devices', querystring: Target, response: { 200: Type.Array(DeviceView), ...errors } }) }, async (req) =>
    (await core.trustedDevices.list(callerOf(req), req.query.agentId ?? req.query.superAgentId)).map(view),
  );

  app.delete('/global/trustedDevices/:id', { config, schema: schema({ summary: 'Revoke a trusted device', params: Type.Object({ id: Id }), response: { 200: Type.Object({ result: Type.Literal('success') }), ...errors } }) }, async (req) => {
    await core.trustedDevices.revoke(callerOf(req), req.params.id, req.ip);
    return { result: 'success' as const };
  });

  app.delete('/global/trustedDevices', { config, schema: schema({ summary: 'Revoke all of an account\'s trusted devices', querystring: Target, response: { 200: Type.Object({ result: Type.Literal('success'), count: Type.Integer() }), ...errors } }) }, async (req) => ({
    result: 'success' as const,
    count: await core.trustedDevices.revokeAll(callerOf(req), req.query.agentId ?? req.query.superAgentId, req.ip),
  }));
};
