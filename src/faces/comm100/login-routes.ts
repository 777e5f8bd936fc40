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
import type { EndLoginResult } from '../../core/login/login.js';
import { TRUSTED_DEVICE_TTL_MS } from '../../core/trusted-devices/trusted-devices.js';
import { TwoFactorErrors } from '../../core/twofactor/errors.js';
import { readCookie } from '../http/cookies.js';
import { Id } from '../http/schemas.js';
import { Comm100Error } from './envelope.js';
import { Code, SecretKey, errors, lenient } from './schemas.js';

const Token = (description: string) => Type.String({ minLength: 1, maxLength: 200, description });

const LoginBody = lenient({
  partnerId: Id,
  siteId: Type.Optional(Id),
  email: Type.String({ minLength: 3, maxLength: 320 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
  Verifiedtoken: Type.Optional(Token('a trusted device\'s token from an earlier endlogin (or the Verifiedtoken cookie)')),
  verificationCode: Type.Optional(Type.String({ maxLength: 64 })),
  isMobile: Type.Optional(Type.Boolean()),
  ip: Type.Optional(Type.String({ maxLength: 64 })),
  isAutoLoginForRegistration: Type.Optional(Type.Boolean()),
});

const LoginView = Type.Object({
  nextStep: Type.Union([Type.Literal('isNeed2faVerify'), Type.Literal('isNeed2faSetup'), Type.Literal('noNeed')]),
  isShowSkip2fa: Type.Boolean(),
  preLoginToken: Type.Optional(Type.String({ description: 'for endlogin; lives 5 minutes, 5 codes' })),
  secretKey: Type.Optional(Type.String()),
  otpauthUrl: Type.Optional(Type.String()),
  jwtToken: Type.Optional(Type.String()),
  expireTime: Type.Optional(Type.String({ format: 'date-time' })),
  siteId: Type.Optional(Type.Integer()),
  partnerId: Type.Integer(),
  agentId: Type.Optional(Type.Integer()),
  superAgentId: Type.Optional(Type.Integer()),
  email: Type.String(),
});

const EndLoginBody = lenient({
  preLoginToken: Token('the token login answered'),
  code: Code,
  secretKey: Type.Optional(SecretKey),
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
  secretKey: Type.Optional(SecretKey),
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
  if (typeof key === 'string' && key) return core.credentials.authenticateApiKey(key);
  throw unauthenticated('agentid / partneruserid needs a JWT or API key that manages the account; a login uses preLoginToken');
}

export const loginRoutes: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/global/jwtToken/login', {
    schema: { tags: ['comm100 login'], summary: 'Agent or super agent login: email + password, then the next step', body: LoginBody, response: { 200: LoginView, ...errors } },
  }, async (req) => {
    const body = req.body;
    const r = await core.login.login({
      partnerId: body.partnerId,
      siteId: body.siteId,
      email: body.email,
      password: body.password,
      verifiedToken: body.Verifiedtoken ?? readCookie(req, 'Verifiedtoken'),
      clientAddress: req.ip,
    });
    return {
      nextStep: r.nextStep,
      isShowSkip2fa: r.isShowSkip2fa,
      ...(r.preLoginToken && { preLoginToken: r.preLoginToken }),
      ...(r.secretKey && { secretKey: r.secretKey, otpauthUrl: r.otpauthUrl }),
      ...(r.jwtToken && { jwtToken: r.jwtToken, expireTime: new Date(r.expiresAt!).toISOString() }),
      ...(r.siteId !== null && { siteId: r.siteId }),
      partnerId: r.partnerId,
      ...(r.role === 'agent' ? { agentId: r.accountId } : { superAgentId: r.accountId }),
      email: r.email,
    };
  });

  const endLogin = (req: FastifyRequest, body: { preLoginToken: string; code: string; secretKey?: string; isSKip2fa?: boolean; isSkip2fa?: boolean }) =>
    core.login.endLogin({
      preLoginToken: body.preLoginToken,
      code: body.code,
      secretKey: body.secretKey,
      trustDevice: Boolean(body.isSKip2fa || body.isSkip2fa),
      clientAddress: req.ip,
      userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
    });

  for (const path of ['/global/endlogin', '/partnerloginapi/endlogin']) {
    app.post(path, {
      schema: {
        tags: ['comm100 login'],
        summary: 'Second step of login: a TOTP or backup code (and secretKey during setup) for a JWT',
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
