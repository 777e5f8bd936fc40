/** Account Actions (Admin): DTMF actions of an account; 403 while it has no DTMF protocol. */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AccountAction } from '../../core/sip-directory/actions.js';
import { callerOf, security } from '../http/authenticate.js';
import { ADMIN, IdParams, errors, tags, asAdmin } from './common.js';
import { ActionParams, Done } from './directory-common.js';
import type { FlexisipRouteOptions } from './routes.js';

const Action = Type.Object({ id: Type.Integer(), key: Type.String(), code: Type.String() });
const ActionBody = Type.Object({ key: Type.Optional(Type.Unknown()), code: Type.Optional(Type.Unknown()) });
const actionJson = (a: AccountAction) => ({ id: a.id, key: a.key, code: a.code });

export const actionsRoutes: FastifyPluginAsync<FlexisipRouteOptions> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const actions = core.sipDirectory.actions;
  const config = asAdmin;
  const base = { tags, security: security(ADMIN) };

  app.get('/accounts/:id/actions', { config, schema: { ...base, summary: 'The account\'s actions (Admin)', params: IdParams, response: { 200: Type.Array(Action), ...errors } } }, async (req) =>
    (await actions.list(callerOf(req), req.params.id)).map(actionJson),
  );
  app.get('/accounts/:id/actions/:action_id', { config, schema: { ...base, summary: 'One action (Admin)', params: ActionParams, response: { 200: Action, ...errors } } }, async (req) =>
    actionJson(await actions.get(callerOf(req), req.params.id, req.params.action_id)),
  );
  // The spec writes this path with a trailing slash; both spellings are served.
  for (const path of ['/accounts/:id/actions', '/accounts/:id/actions/']) {
    app.post(path, { config, schema: { ...base, summary: 'Create an action: key and code required (Admin)', params: IdParams, body: ActionBody, response: { 201: Action, ...errors } } }, async (req, reply) => {
      const created = await actions.create(callerOf(req), req.params.id, req.body);
      reply.status(201);
      return actionJson(created);
    });
  }
  app.put('/accounts/:id/actions/:action_id', { config, schema: { ...base, summary: 'Replace an action\'s key and code (Admin)', params: ActionParams, body: ActionBody, response: { 200: Action, ...errors } } }, async (req) =>
    actionJson(await actions.update(callerOf(req), req.params.id, req.params.action_id, req.body)),
  );
  app.delete('/accounts/:id/actions/:action_id', { config, schema: { ...base, summary: 'Delete an action (Admin)', params: ActionParams, response: { 200: Done, ...errors } } }, async (req) => {
    await actions.remove(callerOf(req), req.params.id, req.params.action_id);
    return {};
  });
};
