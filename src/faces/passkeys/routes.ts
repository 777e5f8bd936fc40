/**
 * Gatehouse's own passkey endpoints, for a signed-in agent, site admin or super agent (its JWT or API
 * key): registration options, then the attestation response; list, rename, remove. Each acts on the
 * caller's own passkeys only (core/roles.ts `passkeys.manage`). The pages (/account/security) use the
 * same core calls through their own forms; docs/passkeys.md walks through these with a browser.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import type { Passkey } from '../../core/passkeys/passkeys.js';
import { type AuthScheme, callerOf, security } from '../http/authenticate.js';
import { Id } from '../http/schemas.js';

const AUTH: AuthScheme[] = ['jwt', 'apiKey'];
const config = { auth: AUTH, capability: 'passkeys.manage' as const };
const tags = ['passkeys'];

const Json = Type.Object({}, { additionalProperties: true });
const ErrorView = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) }) });
const errors = { 400: ErrorView, 401: ErrorView, 403: ErrorView, 404: ErrorView };

export const PasskeyView = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  authenticator: Type.Union([Type.String(), Type.Null()], { description: 'the authenticator\'s name from its AAGUID; null when unknown' }),
  aaguid: Type.String(),
  backedUp: Type.Boolean({ description: 'synced to a cloud account (a multi-device passkey) when true' }),
  deviceType: Type.String({ description: 'singleDevice or multiDevice' }),
  transports: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const passkeyView = (p: Passkey) => ({
  ...p,
  createdAt: new Date(p.createdAt).toISOString(),
  lastUsedAt: p.lastUsedAt === null ? null : new Date(p.lastUsedAt).toISOString(),
});

const Name = Type.String({ minLength: 1, maxLength: 100, description: 'what its owner calls it ("work laptop")' });
const Params = Type.Object({ id: Id });

export const passkeyRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const schema = <T extends object>(s: T) => ({ tags, security: security(AUTH), ...s });

  app.post('/passkeys/registration-options', {
    // A challenge for the browser, nothing of the account changes: not in the admin audit trail (issue 25).
    config: { ...config, notAudited: 'read' as const },
    schema: schema({
      summary: 'Options for navigator.credentials.create() (PublicKeyCredentialCreationOptionsJSON): attestation none, resident key preferred, user verification required; the challenge is good for 5 minutes, once',
      response: { 200: Json, ...errors },
    }),
  }, async (req) => core.passkeys.registrationOptions(callerOf(req)));

  app.post('/passkeys', {
    config,
    schema: schema({
      summary: 'Register a passkey: the attestation response (RegistrationResponseJSON) to the options above, and an optional name',
      body: Type.Object({ response: Type.Object({}, { additionalProperties: true, description: 'RegistrationResponseJSON, as the browser answered' }), name: Type.Optional(Name) }, { additionalProperties: false }),
      response: { 201: PasskeyView, ...errors },
    }),
  }, async (req, reply) => reply.status(201).send(passkeyView(await core.passkeys.register(callerOf(req), req.body.response, req.body.name, req.ip))));

  app.get('/passkeys', {
    config,
    schema: schema({ summary: 'The caller\'s passkeys', response: { 200: Type.Object({ passkeys: Type.Array(PasskeyView) }), ...errors } }),
  }, async (req) => ({ passkeys: (await core.passkeys.list(callerOf(req))).map(passkeyView) }));

  app.patch('/passkeys/:id', {
    config,
    // name is checked by core after the passkey is found to be the caller's: another's answers 404 whatever the body.
    schema: schema({ summary: 'Rename one of the caller\'s passkeys (name is required)', params: Params, body: Type.Object({ name: Type.Optional(Name) }, { additionalProperties: false }), response: { 200: PasskeyView, ...errors } }),
  }, async (req) => passkeyView(await core.passkeys.rename(callerOf(req), req.params.id, req.body.name ?? '', req.ip)));

  app.delete('/passkeys/:id', {
    config,
    schema: schema({ summary: 'Remove one of the caller\'s passkeys (refused for the last one on a phishing-resistant site: last_passkey)', params: Params, response: { 204: Type.Null(), ...errors } }),
  }, async (req, reply) => {
    await core.passkeys.remove(callerOf(req), req.params.id, req.ip);
    return reply.status(204).send(null);
  });
};
