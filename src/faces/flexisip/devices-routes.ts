/** Accounts devices (User): what the SIP registrar reported, and removing one. */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { callerOf, security } from '../http/authenticate.js';
import { USER, errors, tags } from './common.js';
import type { FlexisipRouteOptions } from './routes.js';

const Device = Type.Object({ uuid: Type.String(), contact: Type.String(), user_agent: Type.Union([Type.String(), Type.Null()]), expires_at: Type.String(), updated_at: Type.String() });

export const devicesRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const f = core.flexisip;
  const config = { auth: USER };
  const base = { tags, security: security(USER) };

  app.get('/accounts/me/devices', { config, schema: { ...base, summary: 'The registered devices (User)', response: { 200: Type.Array(Device), ...errors } } }, async (req) =>
    (await f.myDevices(callerOf(req))).map((d) => ({
      uuid: d.uuid,
      contact: d.contact,
      user_agent: d.userAgent,
      expires_at: new Date(d.expiresAt).toISOString(),
      updated_at: new Date(d.updatedAt).toISOString(),
    })),
  );

  app.delete(
    '/accounts/me/devices/:uuid',
    { config, schema: { ...base, summary: 'Remove a registered device (User)', params: Type.Object({ uuid: Type.String({ minLength: 1, maxLength: 200 }) }), response: { 200: Type.Object({}), ...errors } } },
    async (req) => {
      await f.removeMyDevice(callerOf(req), req.params.uuid);
      return {};
    },
  );
};
