/**
 * Secret keys and stateless code checks: v2 `GET /global/2faSecret`, `GET /partnerglobal/2faSecret`,
 * v1 `POST /2fa/secretkey` and `POST /2fa/code:verify`. A secret made here is not stored: it becomes
 * an account's only when a 2FA config is created with a code from it.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import type { AccountKind } from '../../core/twofactor/twofactor.js';
import { type AuthScheme, callerOf, security } from '../http/authenticate.js';
import { Code, Result, SecretKey, SecretView, TargetFields, errors, lenient, targetOf } from './schemas.js';
import type { Caller } from '../../core/callers.js';

const AUTH: AuthScheme[] = ['jwt', 'apiKey'];
const config = { auth: AUTH, capability: 'twofactor.manage' as const };

export const secretRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const schema = <T extends object>(tags: string[], s: T) => ({ tags, security: security(AUTH), ...s });

  async function secretFor(caller: Caller, accountId: number | undefined, kind: AccountKind) {
    const account = await core.twoFactor.manage.account(caller, accountId, kind);
    const secret = await core.twoFactor.newSecretFor(account.id);
    return { ...secret, qrcodeUrl: await core.twoFactor.qrcodeUrl(secret.otpauthUrl) };
  }

  const Query = lenient(TargetFields);
  for (const [path, kind, tags] of [
    ['/global/2faSecret', 'agent', ['comm100 v2 agent']],
    ['/partnerglobal/2faSecret', 'superagent', ['comm100 v2 super agent']],
  ] as const) {
    app.get(path, { config, schema: schema([...tags], { summary: 'Get a 2FA secret key (not stored until a 2FA config is created with a code from it)', querystring: Query, response: { 200: SecretView, ...errors } }) }, async (req) => {
      const caller = callerOf(req);
      const target = targetOf(req.query);
      // A super agent asking for its own secret on the agent path gets one: the document's partner path is commented out.
      const own = target === undefined && caller.role === 'superagent';
      return secretFor(caller, target, own ? 'superagent' : kind);
    });
  }

  const v1 = ['comm100 v1'];
  // Stores nothing (the secret becomes a config only when one is created with it): not in the admin audit trail.
  app.post('/2fa/secretkey', { config: { ...config, notAudited: 'read' }, schema: schema(v1, { summary: 'Create a 2FA secret key', querystring: Query, body: lenient(TargetFields), response: { 200: SecretView, ...errors } }) }, async (req) =>
    secretFor(callerOf(req), targetOf(req.body, req.query), 'any'),
  );

  app.post('/2fa/code::verify', { config: { ...config, notAudited: 'code' }, schema: schema(v1, { summary: 'Verify a 2FA code against a secret key (each code is accepted once)', body: lenient({ secretKey: SecretKey, code: Code }), response: { 200: Result, ...errors } }) }, async (req) => {
    callerOf(req);
    return { result: (await core.twoFactor.manage.checkCode(req.body.secretKey, req.body.code)) ? ('success' as const) : ('fail' as const) };
  });
};
