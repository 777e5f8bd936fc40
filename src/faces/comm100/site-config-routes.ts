/**
 * Site authentication configs: `2FARequirement` 0 = 2FA at every login, 1 = may be skipped on a
 * trusted device for 14 days. The summary's `siteAuthenticationConfigs/{agentId}` is `{siteId}`.
 * Anyone in the site reads it; the site's own credentials, a site admin, a super agent of the partner
 * (naming `siteId` beside the documented body) or an admin sets it. POST and PUT both create or update.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import type { TwoFactorRequirement } from '../../core/twofactor/twofactor.js';
import { type AuthScheme, callerOf, security } from '../http/authenticate.js';
import { Id } from '../http/schemas.js';
import { errors, lenient } from './schemas.js';

const AUTH: AuthScheme[] = ['jwt', 'apiKey'];
// Setting it is the site policy capability, also with a site's own credentials (HTTP Basic: SID and auth token).
const SET_AUTH: AuthScheme[] = ['jwt', 'apiKey', 'basic'];
const config = { auth: SET_AUTH, capability: 'site.policy' as const };
const readConfig = { auth: AUTH, capability: 'twofactor.manage' as const };

const Requirement = Type.Integer({ minimum: 0, maximum: 1, description: '0: every login, 1: allow to skip on trusted devices for 14 days' });
/** Gatehouse's own setting beside the documented one (docs/passkeys.md). */
const PhishingResistant = Type.Boolean({ description: 'Gatehouse: true = the site\'s agents must sign in with a passkey (TOTP then serves only to enrol; backup codes to recover)' });
const Body = lenient({ '2FARequirement': Requirement, siteId: Type.Optional(Id), phishingResistantOnly: Type.Optional(PhishingResistant) });
// Shown only when on, so that a site that never used it answers exactly the documented body.
const View = Type.Object({ siteId: Type.Integer(), '2FARequirement': Requirement, phishingResistantOnly: Type.Optional(PhishingResistant) });

export const siteConfigRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const manage = core.twoFactor.manage;
  const schema = <T extends object>(s: T, auth = AUTH) => ({ tags: ['comm100 v2 site'], security: security(auth), ...s });
  const requirement = (value: number): TwoFactorRequirement => (value === 1 ? 1 : 0);
  const view = async (v: { siteId: number; requirement: TwoFactorRequirement }) => ({
    siteId: v.siteId,
    '2FARequirement': v.requirement,
    ...((await core.passkeys.phishingResistant(v.siteId)) && { phishingResistantOnly: true }),
  });
  /** Sets the 2FARequirement (which checks the caller may), then the Gatehouse-own policy when the body names it. */
  const set = async (req: { body: { '2FARequirement': number; siteId?: number; phishingResistantOnly?: boolean }; query: { siteId?: number }; ip: string } & Parameters<typeof callerOf>[0]) => {
    const caller = callerOf(req);
    const done = await manage.setSiteRequirement(caller, req.body.siteId ?? req.query.siteId, requirement(req.body['2FARequirement']), req.ip);
    if (req.body.phishingResistantOnly !== undefined) await core.passkeys.setPhishingResistant(done.siteId, req.body.phishingResistantOnly, caller.accountId, req.ip);
    return view(done);
  };

  app.post('/global/siteAuthenticationConfigs', { config, schema: schema({ summary: 'Create a site authentication config', querystring: lenient({ siteId: Type.Optional(Id) }), body: Body, response: { 200: View, ...errors } }, SET_AUTH) }, async (req) => set(req));
  app.put('/global/siteAuthenticationConfigs', { config, schema: schema({ summary: 'Update (or create) a site authentication config', querystring: lenient({ siteId: Type.Optional(Id) }), body: Body, response: { 200: View, ...errors } }, SET_AUTH) }, async (req) => set(req));
  app.get('/global/siteAuthenticationConfigs/:siteId', { config: readConfig, schema: schema({ summary: 'Get a site authentication config', params: Type.Object({ siteId: Id }), response: { 200: View, ...errors } }) }, async (req) =>
    view(await manage.siteRequirement(callerOf(req), req.params.siteId)),
  );
};
