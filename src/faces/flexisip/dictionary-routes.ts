/** Dictionary (Admin): an account's key → value entries. */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { callerOf, security } from '../http/authenticate.js';
import { ADMIN, IdParams, errors, tags, asAdmin } from './common.js';
import { Done } from './directory-common.js';
import type { FlexisipRouteOptions } from './routes.js';

const KeyParams = Type.Object({ id: IdParams.properties.id, key: Type.String({ minLength: 1, maxLength: 191 }) });

export const dictionaryRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const dictionary = core.sipDirectory.dictionary;
  const config = asAdmin;
  const base = { tags, security: security(ADMIN) };

  app.get('/accounts/:id/dictionary', { config, schema: { ...base, summary: 'Every dictionary entry of the account (Admin)', params: IdParams, response: { 200: Type.Record(Type.String(), Type.String()), ...errors } } }, async (req) =>
    dictionary.entries(callerOf(req), req.params.id),
  );
  app.post(
    '/accounts/:id/dictionary/:key',
    { config, schema: { ...base, summary: 'Add (201) or replace (200) an entry: value required (Admin)', params: KeyParams, body: Type.Object({ value: Type.Optional(Type.Unknown()) }), response: { 200: Type.Object({ value: Type.String() }), 201: Type.Object({ value: Type.String() }), ...errors } } },
    async (req, reply) => {
      const created = await dictionary.set(callerOf(req), req.params.id, req.params.key, req.body.value);
      reply.status(created ? 201 : 200);
      return { value: req.body.value as string };
    },
  );
  app.delete('/accounts/:id/dictionary/:key', { config, schema: { ...base, summary: 'Remove an entry (Admin)', params: KeyParams, response: { 200: Done, ...errors } } }, async (req) => {
    await dictionary.remove(callerOf(req), req.params.id, req.params.key);
    return {};
  });
};
