/**
 * The Comm100 login flow, public by design: v2 `POST /global/jwtToken/login` and `POST /global/endlogin`
 * (also `/partnerloginapi/endlogin` for super agents), and v1's `POST /loginapi/2fa:verify`,
 * `/global/2fa:verify`, `/partnerloginapi/2fa:verify`. The v1 paths take either a preLoginToken (the
 * endlogin flow, answering `result` besides the token) or v1's `agentid` / `partneruserid`; the
 * latter names an arbitrary account, so it needs a credential that manages it (JWT or API key).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/core.js';
import type { Caller } from '../../core/callers.js';
import { GatehouseError, unauthenticated } from '../../core/errors.js';
import { DEVICE_COOKIE } from '../../core/login/device-cookies.js';
import type { EndLoginResult } from '../../core/login/login.js';
import { TRUSTED_DEVICE_TTL_MS } from '../../core/trusted-devices/trusted-devices.js';
import { TwoFactorErrors } from '../../core/twofactor/errors.js';
import { readCookie } from '../http/cookies.js';
import { Id } from '../http/schemas.js';
import { Comm100Error } from './envelope.js';
import { Code, OptionalSecretKey, errors, lenient } from './schemas.js';

const Token = (description: string) => Type.String({ minLength: 1, maxLength: 200, description });

const LoginBody = lenient({
  partnerId: Id,
  siteId: Type.Optional(Id),
  email: Type.String({ minLength: 3, maxLength: 320 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
  Verifiedtoken: Type.Optional(Token('a trusted device\'s token from an earlier endlogin (or the Verifiedtoken cookie)')),
  // Accepted and ignored (README): Gatehouse asks no captcha, treats every client alike, takes the
  // client address from the connection (GATEHOUSE_TRUST_PROXY), never from the body, and has no sign-up.
  verificationCode: Type.Optional(Type.String({ maxLength: 64, description: 'ignored' })),
  isMobile: Type.Optional(Type.Boolean({ description: 'ignored' })),
  ip: Type.Optional(Type.String({ maxLength: 64, description: 'ignored: the address is the connection\'s' })),
  isAutoLoginForRegistration: Type.Optional(Type.Boolean({ description: 'ignored' })),
});

/**
 * Every field of the document's response table, with its documented type. What each means in
 * Gatehouse (README, "Comm100 login"): a login that fails answers the error envelope instead, so
 * errorCode is always "none" here; ids the document types as guid are strings, "" when they name
 * nobody (an agent's superAgentId, a super agent's agentId); siteId is 0 for a super agent.
 */
const LoginView = Type.Object({
  nextStep: Type.Union([Type.Literal('isNeed2faVerify'), Type.Literal('isNeed2faSetup'), Type.Literal('noNeed')]),
  isShowSkip2fa: Type.Boolean(),
  preLoginToken: Type.Optional(Type.String({ description: 'for endlogin; lives 5 minutes, 5 codes' })),
  secretKey: Type.Optional(Type.String()),
  otpauthUrl: Type.Optional(Type.String()),
  qrcodeUrl: Type.Optional(Type.String({ description: 'isNeed2faSetup: the otpauthUrl as a PNG data URL' })),
  errorCode: Type.Literal('none', { description: 'a failed login answers the error envelope instead' }),
  errorMessage: Type.String(),
  url: Type.String({ description: 'the path to post the second step to; "" when there is none' }),
  siteId: Type.Integer({ description: 'the agent\'s site; 0 for a super agent' }),
  partnerId: Type.Integer(),
  agentId: Type.String({ description: 'the agent\'s id; "" for a super agent' }),
  superAgentId: Type.String({ description: 'the super agent\'s id; "" for an agent' }),
  email: Type.String(),
  jwtToken: Type.String({ description: 'the JWT when nextStep is noNeed; "" while a step remains' }),
  expireTime: Type.Optional(Type.String({ format: 'date-time' })),
  showVerificationCode: Type.Boolean({ description: 'always false: Gatehouse asks no captcha-style code' }),
  verificationCode: Type.String({ description: 'always ""' }),
  hasMutipleSite: Type.Boolean({ description: 'siteIds holds more than one site' }),
  siteIds: Type.Array(Type.Integer(), { description: 'an agent: the partner\'s sites where this email is an agent; a super agent: the partner\'s sites' }),
  isFirstLogin: Type.Boolean({ description: 'the account never completed a login before' }),
  days: Type.Integer({ description: 'days left of the trusted device that let this login skip 2FA; 0 when none did' }),
  trialInfo: Type.Object({}, { description: 'always {}: Gatehouse has no trials' }),
  // Gatehouse's own fields (docs/passkeys.md); every documented field above keeps its meaning.
  passkeyOptions: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'Gatehouse: isNeed2faVerify for an account with passkeys: options for navigator.credentials.get() (PublicKeyCredentialRequestOptionsJSON); endlogin takes the assertion in place of a code' })),
  passkeyRegistrationRequired: Type.Optional(Type.Boolean({ description: 'Gatehouse: the site is phishing-resistant only and the account has no passkey: register one (POST /passkeys) with the JWT this login ends with' })),
});

/** A passkey's assertion (AuthenticationResponseJSON) in place of the code. */
const Assertion = Type.Optional(Type.Object({}, { additionalProperties: true, description: 'Gatehouse: a passkey assertion (AuthenticationResponseJSON) answering the login\'s passkeyOptions, in place of code' }));

const EndLoginBody = lenient({
  preLoginToken: Token('the token login answered'),
  code: Type.Optional(Code),
  assertion: Assertion,
  secretKey: OptionalSecretKey,
  isSetCookie: Type.Optional(Type.Boolean({ default: false })),
  isSKip2fa: Type.Optional(Type.Boolean({ default: false })),
  isSkip2fa: Type.Optional(Type.Boolean()),
});

const EndLoginView = Type.Object({
  jwtToken: Type.String(),
  Verifiedtoken: Type.Optional(Type.String({ description: 'skips 2FA on this device for 14 days' })),
  result: Type.Optional(Type.Literal('success')),
});

const V1Body = lenient({
  preLoginToken: Type.Optional(Token('the token login answered')),
  agentid: Type.Optional(Id),
  partneruserid: Type.Optional(Id),
  code: Code,
  secretKey: OptionalSecretKey,
  isSetCookie: Type.Optional(Type.Boolean({ default: false })),
  isSKip2fa: Type.Optional(Type.Boolean({ default: false })),
  isSkip2fa: Type.Optional(Type.Boolean()),
});

const V1View = Type.Object({
  result: Type.Union([Type.Literal('success'), Type.Literal('fail')]),
  jwtToken: Type.Optional(Type.String()),
  Verifiedtoken: Type.Optional(Type.String()),
  retryRemainingNumber: Type.Optional(Type.String()),
});

const COOKIE = { httpOnly: true, secure: true, sameSite: 'lax', path: '/' } as const;

function setCookies(reply: FastifyReply, result: EndLoginResult) {
  reply.setCookie('jwtToken', result.jwtToken, { ...COOKIE, expires: new Date(result.expiresAt) });
  if (result.verifiedToken) {
    reply.setCookie('Verifiedtoken', result.verifiedToken, { ...COOKIE, maxAge: TRUSTED_DEVICE_TTL_MS / 1000 });
  }
}

/** The caller of v1's agentid form: the route is public, so its credential is read here. */
async function v1Caller(core: Core, request: FastifyRequest): Promise<Caller> {
  const authorization = request.headers.authorization;
  if (authorization?.toLowerCase().startsWith('bearer ')) return core.credentials.authenticateJwt(authorization.slice(7).trim());
  const key = request.headers['x-api-key'];
  if (typeof key === 'string' && key) return core.guessing.guard({ scheme: 'apiKey' }, request.ip, () => core.credentials.authenticateApiKey(key));
  throw unauthenticated('agentid / partneruserid needs a JWT or API key that manages the account; a login uses preLoginToken');
}

export const loginRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/global/jwtToken/login', {
    schema: { tags: ['comm100 login'], summary: 'Agent or super agent login: email + password, then the next step', body: LoginBody, response: { 200: LoginView, ...errors } },
  }, async (req, reply) => {
    const body = req.body;
    const r = await core.login.login({
      partnerId: body.partnerId,
      siteId: body.siteId,
      email: body.email,
      password: body.password,
      verifiedToken: body.Verifiedtoken ?? readCookie(req, 'Verifiedtoken'),
      deviceToken: readCookie(req, DEVICE_COOKIE),
      clientAddress: req.ip,
    });
    // The password was right: this browser keeps its own allowance of password tries (core/login/device-cookies.ts).
    reply.setCookie(DEVICE_COOKIE, r.deviceToken, { ...COOKIE, sameSite: 'strict', expires: new Date(r.deviceTokenExpiresAt) });
    const agent = r.role === 'agent';
    return {
      nextStep: r.nextStep,
      isShowSkip2fa: r.isShowSkip2fa,
      ...(r.preLoginToken && { preLoginToken: r.preLoginToken }),
      ...(r.secretKey && { secretKey: r.secretKey, otpauthUrl: r.otpauthUrl, qrcodeUrl: r.qrcodeUrl }),
      errorCode: 'none' as const,
      errorMessage: '',
      url: r.nextStep === 'noNeed' ? '' : agent ? '/global/endlogin' : '/partnerloginapi/endlogin',
      siteId: r.siteId ?? 0,
      partnerId: r.partnerId,
      agentId: agent ? String(r.accountId) : '',
      superAgentId: agent ? '' : String(r.accountId),
      email: r.email,
      jwtToken: r.jwtToken ?? '',
      ...(r.jwtToken && { expireTime: new Date(r.expiresAt!).toISOString() }),
      showVerificationCode: false,
      verificationCode: '',
      hasMutipleSite: r.siteIds.length > 1,
      siteIds: r.siteIds,
      isFirstLogin: r.isFirstLogin,
      days: r.trustedDeviceDays,
      trialInfo: {},
      ...(r.passkeyOptions && { passkeyOptions: r.passkeyOptions }),
      ...(r.passkeyRegistrationRequired && { passkeyRegistrationRequired: true }),
    };
  });

  const endLogin = (req: FastifyRequest, body: { preLoginToken: string; code?: string; assertion?: unknown; secretKey?: string; isSKip2fa?: boolean; isSkip2fa?: boolean }) => {
    // A code, or (Gatehouse's own) a passkey's assertion in its place.
    if (body.code === undefined && body.assertion === undefined) throw new GatehouseError('validation', 'code: is required (or assertion, a passkey\'s)', { field: 'code' });
    return core.login.endLogin({
      preLoginToken: body.preLoginToken,
      code: body.code ?? '',
      ...(body.assertion !== undefined && { assertion: body.assertion }),
      secretKey: body.secretKey || undefined,
      trustDevice: Boolean(body.isSKip2fa || body.isSkip2fa),
      clientAddress: req.ip,
      userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
    });
  };

  for (const path of ['/global/endlogin', '/partnerloginapi/endlogin']) {
    app.post(path, {
      schema: {
        tags: ['comm100 login'],
        summary: 'Second step of login: a TOTP or backup code (and secretKey during setup), or a passkey assertion, for a JWT',
        body: EndLoginBody,
        response: { 200: EndLoginView, ...errors },
      },
    }, async (req, reply) => {
      const result = await endLogin(req, req.body);
      if (req.body.isSetCookie) setCookies(reply, result);
      return { jwtToken: result.jwtToken, ...(result.verifiedToken && { Verifiedtoken: result.verifiedToken }) };
    });
  }

  for (const path of ['/loginapi/2fa::verify', '/global/2fa::verify', '/partnerloginapi/2fa::verify']) {
    app.post(path, {
      schema: {
        tags: ['comm100 v1 login'],
        summary: 'v1: verify a 2FA code (TOTP or backup) of a login (preLoginToken) or of an account the caller manages (agentid / partneruserid)',
        body: V1Body,
        response: { 200: V1View, 400: Comm100Error, 401: Comm100Error, 403: Comm100Error, 404: Comm100Error },
      },
    }, async (req, reply) => {
      const body = req.body;
      try {
        if (body.preLoginToken) {
          const result = await endLogin(req, { ...body, preLoginToken: body.preLoginToken });
          if (body.isSetCookie) setCookies(reply, result);
          return { result: 'success' as const, jwtToken: result.jwtToken, ...(result.verifiedToken && { Verifiedtoken: result.verifiedToken }) };
        }
        const accountId = body.agentid ?? body.partneruserid;
        if (accountId === undefined) throw new GatehouseError('validation', 'preLoginToken: is required (or agentid / partneruserid)', { field: 'preLoginToken' });
        const ok = await core.login.verifyForAccount(await v1Caller(core, req), accountId, body.code, req.ip);
        return { result: ok ? ('success' as const) : ('fail' as const) };
      } catch (err) {
        // v1 documents a wrong code as result "fail"; the other failures keep the error envelope.
        if (err instanceof GatehouseError && err.code === TwoFactorErrors.codeVerifyFailed) {
          const retry = err.details?.retryRemainingNumber;
          return { result: 'fail' as const, ...(retry !== undefined && { retryRemainingNumber: String(retry) }) };
        }
        throw err;
      }
    });
  }
};
