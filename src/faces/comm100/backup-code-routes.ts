/**
 * Backup codes, one per account: every spelling the documents use (v2 agent and super agent
 * `…:generate`, v2 `GET/PUT/DELETE /global/agent2faBackupCode`, v1 `POST /2fa/code` and `/2fa/codes`).
 * A code is shown only in the answer that creates it; GET says whether one exists and since when.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import type { AccountKind } from '../../core/twofactor/twofactor.js';
import { type AuthScheme, callerOf, security } from '../http/authenticate.js';
import { Id } from '../http/schemas.js';
import { BackupCodeView, Result, TargetFields, errors, lenient, targetOf } from './schemas.js';

const AUTH: AuthScheme[] = ['jwt', 'apiKey'];
const config = { auth: AUTH, capability: 'twofactor.manage' as const };

export const backupCodeRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const manage = core.twoFactor.manage;
  const schema = <T extends object>(tags: string[], s: T) => ({ tags, security: security(AUTH), ...s });
  const Target = lenient({ ...TargetFields, partnerId: Type.Optional(Id), siteId: Type.Optional(Id) });

  const generators: Array<[string, AccountKind, string[]]> = [
    ['/global/agent2faBackupCodes::generate', 'agent', ['comm100 v2 agent']],
    ['/global/agent2faBackupCode::generate', 'agent', ['comm100 v2 agent']],
    ['/partnerglobal/superagent2fabackupcodes::generate', 'superagent', ['comm100 v2 super agent']],
    ['/partnerglobal/superagents2fabackupcodes::generate', 'superagent', ['comm100 v2 super agent']],
    ['/2fa/code', 'any', ['comm100 v1']],
    ['/2fa/codes', 'any', ['comm100 v1']],
  ];
  for (const [path, kind, tags] of generators) {
    app.post(path, { config, schema: schema(tags, { summary: 'Generate a 2FA backup code (replaces the earlier one; shown only here)', querystring: Target, body: Type.Optional(Target), response: { 200: BackupCodeView, ...errors } }) }, async (req) => ({
      code: await manage.generateBackupCode(callerOf(req), targetOf(req.body, req.query), kind, req.ip),
    }));
  }

  const tags = ['comm100 v2 agent'];
  app.get('/global/agent2faBackupCode', { config, schema: schema(tags, {
    summary: 'Whether the agent has a backup code and since when (the code itself is never shown again)',
    querystring: Target,
    response: { 200: Type.Object({ exists: Type.Boolean(), createdAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) }), ...errors },
  }) }, async (req) => {
    const status = await manage.backupCodeStatus(callerOf(req), targetOf(req.query), 'agent');
    return { exists: status.exists, createdAt: status.createdAt === null ? null : new Date(status.createdAt).toISOString() };
  });
  app.put('/global/agent2faBackupCode', { config, schema: schema(tags, { summary: 'Replace the agent\'s backup code (shown only here)', querystring: Target, body: Type.Optional(Target), response: { 200: BackupCodeView, ...errors } }) }, async (req) => ({
    code: await manage.generateBackupCode(callerOf(req), targetOf(req.body, req.query), 'agent', req.ip),
  }));
  app.delete('/global/agent2faBackupCode', { config, schema: schema(tags, { summary: 'Revoke the agent\'s backup code', querystring: Target, response: { 200: Result, ...errors } }) }, async (req) => {
    await manage.revokeBackupCode(callerOf(req), targetOf(req.query), 'agent', req.ip);
    return { result: 'success' as const };
  });
};
