/**
 * 2FA configs: v2 `/global/agent2faConfigs…` (agents of a site), `/partnerglobal/superagent2faConfigs…`
 * (super agents of a partner), and v1 `/global/2faConfig…`, `/globalapi/…`, `/partnerglobal/…`,
 * `/partnerglobalapi/…` (either kind). A config is created only with a code proving the authenticator
 * holds the secret; its secret is never answered again.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import type { TwoFactorConfig } from '../../core/twofactor/twofactor.js';
import { invalid } from '../../core/errors.js';
import { type AuthScheme, callerOf, security } from '../http/authenticate.js';
import { Id } from '../http/schemas.js';
import { Code, ConfigView, Result, SecretKey, SecretView, SuperAgentConfigView, TargetFields, errors, lenient, targetOf } from './schemas.js';

const AUTH: AuthScheme[] = ['jwt', 'apiKey'];
const config = { auth: AUTH };

// Ids as strings, as the documents' examples show them ("agentId":"324234").
const agentView = (c: TwoFactorConfig) => ({ id: String(c.id), agentId: String(c.accountId) });
const superAgentView = (c: TwoFactorConfig) => ({ id: String(c.id), superagentid: String(c.accountId) });

const SetupBody = lenient({ secretKey: SecretKey, code: Code, ...TargetFields });

export const configRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const manage = core.twoFactor.manage;
  const schema = <T extends object>(tags: string[], s: T) => ({ tags, security: security(AUTH), ...s });

  // v2, agents.
  const agent = ['comm100 v2 agent'];
  app.get('/global/agent2faConfigs', { config, schema: schema(agent, { summary: 'List the 2FA configs of a site\'s agents', querystring: lenient({ siteId: Type.Optional(Id) }), response: { 200: Type.Array(ConfigView), ...errors } }) }, async (req) =>
    (await manage.listConfigs(callerOf(req), req.query.siteId, 'agent')).map(agentView),
  );
  app.get('/global/agent2faConfigs/:agentId', { config, schema: schema(agent, { summary: 'Get an agent\'s 2FA config', params: Type.Object({ agentId: Id }), response: { 200: ConfigView, ...errors } }) }, async (req) =>
    agentView(await manage.getConfig(callerOf(req), req.params.agentId, 'agent')),
  );
  app.post('/global/agent2faConfigs', { config, schema: schema(agent, { summary: 'Create an agent\'s 2FA config (the code proves the app holds the secret)', body: SetupBody, response: { 200: ConfigView, ...errors } }) }, async (req) =>
    agentView(await manage.createConfig(callerOf(req), targetOf(req.body), 'agent', req.body.secretKey, req.body.code, req.ip)),
  );
  app.put('/global/agent2faConfigs/:agentId', { config, schema: schema(agent, { summary: 'Update an agent\'s 2FA config with a new secret and a code from it', params: Type.Object({ agentId: Id }), body: SetupBody, response: { 200: ConfigView, ...errors } }) }, async (req) =>
    agentView(await manage.updateConfig(callerOf(req), req.params.agentId, 'agent', req.body.secretKey, req.body.code, req.ip)),
  );
  app.delete('/global/agent2faConfigs/:agentId', { config, schema: schema(agent, { summary: 'Delete an agent\'s 2FA config', params: Type.Object({ agentId: Id }), response: { 200: Result, ...errors } }) }, async (req) => {
    await manage.deleteConfig(callerOf(req), req.params.agentId, 'agent', req.ip);
    return { result: 'success' as const };
  });

  // v2, super agents.
  const superAgent = ['comm100 v2 super agent'];
  const SuperParams = Type.Object({ superagentId: Id });
  app.get('/partnerglobal/superagent2faConfigs', { config, schema: schema(superAgent, { summary: 'List the 2FA configs of a partner\'s super agents', querystring: lenient({ partnerId: Type.Optional(Id) }), response: { 200: Type.Array(SuperAgentConfigView), ...errors } }) }, async (req) =>
    (await manage.listConfigs(callerOf(req), req.query.partnerId, 'superagent')).map(superAgentView),
  );
  app.get('/partnerglobal/superagent2faConfigs/:superagentId', { config, schema: schema(superAgent, { summary: 'Get a super agent\'s 2FA config', params: SuperParams, response: { 200: SuperAgentConfigView, ...errors } }) }, async (req) =>
    superAgentView(await manage.getConfig(callerOf(req), req.params.superagentId, 'superagent')),
  );
  app.post('/partnerglobal/superagent2faConfigs', { config, schema: schema(superAgent, { summary: 'Create a super agent\'s 2FA config', body: SetupBody, response: { 200: SuperAgentConfigView, ...errors } }) }, async (req) =>
    superAgentView(await manage.createConfig(callerOf(req), targetOf(req.body), 'superagent', req.body.secretKey, req.body.code, req.ip)),
  );
  app.put('/partnerglobal/superagent2faConfigs/:superagentId', { config, schema: schema(superAgent, { summary: 'Update a super agent\'s 2FA config', params: SuperParams, body: SetupBody, response: { 200: SuperAgentConfigView, ...errors } }) }, async (req) =>
    superAgentView(await manage.updateConfig(callerOf(req), req.params.superagentId, 'superagent', req.body.secretKey, req.body.code, req.ip)),
  );
  app.delete('/partnerglobal/superagent2faConfigs/:superagentId', { config, schema: schema(superAgent, { summary: 'Delete a super agent\'s 2FA config', params: SuperParams, response: { 200: Result, ...errors } }) }, async (req) => {
    await manage.deleteConfig(callerOf(req), req.params.superagentId, 'superagent', req.ip);
    return { result: 'success' as const };
  });

  // v1: the same configs under four prefixes; {id} is the agent or partner user, none means the caller.
  const v1 = ['comm100 v1'];
  const V1Create = lenient({ secretKey: Type.Optional(SecretKey), code: Type.Optional(Code), ...TargetFields });
  const V1Update = lenient({ secretKey: SecretKey, code: Code });
  const V1Config = ConfigView;
  const Maybe = Type.Object({ id: Type.Optional(Id) });
  for (const prefix of ['/global', '/globalapi', '/partnerglobal', '/partnerglobalapi']) {
    app.post(`${prefix}/2faConfig`, { config, schema: schema(v1, {
      summary: 'Without a code: a new secret key and its QR code. With secretKey and code: create the 2FA config.',
      body: V1Create,
      response: { 200: Type.Union([SecretView, Type.Intersect([Result, V1Config])]), ...errors },
    }) }, async (req) => {
      const caller = callerOf(req);
      const { secretKey, code } = req.body;
      const account = await manage.account(caller, targetOf(req.body), 'any');
      if (secretKey === undefined && code === undefined) {
        const secret = await core.twoFactor.newSecretFor(account.id);
        return { ...secret, qrcodeUrl: await core.twoFactor.qrcodeUrl(secret.otpauthUrl) };
      }
      if (secretKey === undefined) throw invalid('secretKey', 'is required with code');
      if (code === undefined) throw invalid('code', 'is required with secretKey');
      return { result: 'success' as const, ...agentView(await manage.createConfig(caller, account.id, 'any', secretKey, code, req.ip)) };
    });
    for (const path of [`${prefix}/2faConfig`, `${prefix}/2faConfig/:id`]) {
      app.get(path, { config, schema: schema(v1, { summary: 'Get the 2FA config', params: Maybe, response: { 200: V1Config, ...errors } }) }, async (req) =>
        agentView(await manage.getConfig(callerOf(req), req.params.id, 'any')),
      );
      app.put(path, { config, schema: schema(v1, { summary: 'Update the 2FA config with a new secret and a code from it', params: Maybe, body: V1Update, response: { 200: Type.Intersect([Result, V1Config]), ...errors } }) }, async (req) => ({
        result: 'success' as const,
        ...agentView(await manage.updateConfig(callerOf(req), req.params.id, 'any', req.body.secretKey, req.body.code, req.ip)),
      }));
      app.delete(path, { config, schema: schema(v1, { summary: 'Delete the 2FA config', params: Maybe, response: { 200: Result, ...errors } }) }, async (req) => {
        await manage.deleteConfig(callerOf(req), req.params.id, 'any', req.ip);
        return { result: 'success' as const };
      });
    }
  }
};
