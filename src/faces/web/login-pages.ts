/**
 * Agent sign-in (/login) over core's Comm100 login flow: email and password, then, as nextStep says,
 * 2FA enrolment (QR code, secret for manual entry, first code, then the backup code shown once) or
 * the code step (a TOTP or backup code, and "trust this device" where the site allows it). The
 * partner is found from the email unless given (core: only once a password matches, only when
 * unambiguous); a return-to (?next=, return-to.ts) is kept through every step; a finished sign-in
 * lands there or on My security.
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/core.js';
import { CommonErrors, GatehouseError } from '../../core/errors.js';
import { DEVICE_COOKIE } from '../../core/login/device-cookies.js';
import { TRUSTED_DEVICE_TTL_MS } from '../../core/trusted-devices/trusted-devices.js';
import { TwoFactorErrors } from '../../core/twofactor/errors.js';
import { LOGIN_FLOW, SESSION, TRUSTED_DEVICE, clearCookie, csrfToken, readCookie, setCookie } from './cookies.js';
import { backupCodeBlock, enrolBlock } from './enrol.js';
import { type Html, type Notice, csrfField, html, page } from './html.js';
import { passkeyAutofillAttributes, passkeySignInSection, passkeyStepSection } from './passkey-pages.js';
import { FormId, sendPage } from './respond.js';
import { safeReturnTo } from './return-to.js';
import { sessionCaller, whoIs } from './session.js';

/** The sign-in in progress, kept in the gh_login cookie between the password and the code. */
interface Flow {
  token: string;
  step: 'setup' | 'verify';
  mayTrust: boolean;
  email: string;
  secretKey?: string;
  otpauthUrl?: string;
  /** Where to go once signed in (return-to.ts checked it). */
  next?: string;
}

const FLOW_SECONDS = 300;

function readFlow(request: FastifyRequest): Flow | null {
  const raw = readCookie(request, LOGIN_FLOW);
  if (!raw) return null;
  try {
    const flow = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Flow;
    return typeof flow.token === 'string' && (flow.step === 'setup' || flow.step === 'verify') ? flow : null;
  } catch {
    return null;
  }
}

const LoginForm = Type.Object(
  {
    _csrf: Type.String({ maxLength: 100 }),
    // Blank fields are the handler's to explain beside the field, the form filled again.
    email: Type.String({ maxLength: 320 }),
    password: Type.String({ maxLength: 1024 }),
    partnerId: Type.Optional(Type.String({ maxLength: 30 })),
    siteId: Type.Optional(Type.String({ maxLength: 30 })),
    next: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

const CodeForm = Type.Object(
  {
    _csrf: Type.String({ maxLength: 100 }),
    code: Type.String({ minLength: 1, maxLength: 64 }),
    trust: Type.Optional(Type.Literal('on')),
  },
  { additionalProperties: false },
);

const SavedForm = Type.Object({ _csrf: Type.String({ maxLength: 100 }), saved: Type.Literal('on') }, { additionalProperties: false });
/** Only `next` is read; anything else in the address is ignored rather than refused. */
const NextQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) });
const HOME = '/account/security';
/** Where a phishing-resistant site's account without a passkey goes once signed in: the passkey registration, with a notice why. */
const REGISTER_PASSKEY = '/account/security?passkey=required';
/** The one answer to every failed password step, whatever failed (no account, wrong password, ambiguous email, wrong partner). */
const BAD_CREDENTIALS = 'Email or password is incorrect. If you work for more than one partner with this email, give the Partner ID too.';
const ID_SHAPE = /^[1-9][0-9]{0,14}$/;
const PlainForm = Type.Object({ _csrf: Type.String({ maxLength: 100 }) }, { additionalProperties: false });

interface LoginValues {
  email?: string;
  partnerId?: string;
  siteId?: string;
  next?: string | null;
}

const fieldError = (errors: Record<string, string>, field: string): Html =>
  errors[field] ? html`<p class="field-error" id="error-${field}">${errors[field]}</p>` : html``;

function loginForm(core: Core, csrf: string, values: LoginValues = {}, errors: Record<string, string> = {}): Html {
  return html`<section class="card"><form method="post" action="/login">${csrfField(csrf)}${values.next ? html`<input type="hidden" name="next" value="${values.next}">` : ''}
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username webauthn"${passkeyAutofillAttributes(core, csrf)} required value="${values.email ?? ''}" aria-describedby="email-help">
<p class="muted help" id="email-help">The email your account was created with.</p>${fieldError(errors, 'email')}
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>${fieldError(errors, 'password')}
<div class="row"><div><label for="partnerId">Partner ID <span class="muted">(optional)</span></label><input id="partnerId" name="partnerId" inputmode="numeric" pattern="[0-9]*" value="${values.partnerId ?? ''}" aria-describedby="partner-help">${fieldError(errors, 'partnerId')}</div>
<div><label for="siteId">Site ID <span class="muted">(optional)</span></label><input id="siteId" name="siteId" inputmode="numeric" pattern="[0-9]*" value="${values.siteId ?? ''}" aria-describedby="partner-help">${fieldError(errors, 'siteId')}</div></div>
<p class="muted help" id="partner-help">Your company's number in Gatehouse (a super agent's tenant) and your site's. Leave them empty: your email finds them. Give them only if you work for more than one partner or site with the same email.</p>
<button type="submit">Sign in</button></form></section>${passkeySignInSection(core, csrf, values.next ?? null)}
<p class="muted">Operators: the <a href="/console">admin console</a>. Developers: the <a href="/docs">API reference</a>.</p>`;
}

async function stepBody(core: Core, csrf: string, flow: Flow): Promise<Html> {
  const codeField = (label: string, hint: string) => html`<label for="code">${label}</label>
<input id="code" name="code" class="code" autocomplete="one-time-code" inputmode="${flow.step === 'setup' ? 'numeric' : 'text'}" required autofocus>
<p class="muted">${hint}</p>`;
  const trust = flow.mayTrust
    ? html`<label class="check"><input type="checkbox" name="trust" value="on"> Trust this device for 14 days</label>`
    : '';
  if (flow.step === 'setup') {
    return html`<p>Your site requires two-factor authentication.</p>${await enrolBlock(core, csrf, { secretKey: flow.secretKey!, otpauthUrl: flow.otpauthUrl! }, '/login/code', trust)}`;
  }
  return html`<section class="card"><form method="post" action="/login/code">${csrfField(csrf)}
${codeField('Code from your authenticator app', 'Six digits, or your backup code if you have lost the app.')}${trust}
<button type="submit">Verify</button></form></section>${passkeyStepSection(core, csrf, flow.mayTrust)}
<form method="post" action="/login/restart">${csrfField(csrf)}<button class="link">Use another account</button></form>`;
}

/** What a person should read for each way a code step can fail. */
function codeFailure(err: GatehouseError): { notice: Notice; restart: boolean } {
  switch (err.code) {
    case TwoFactorErrors.codeVerifyFailed: {
      const left = err.details?.retryRemainingNumber;
      const tries = typeof left === 'number' ? ` ${left} ${left === 1 ? 'try' : 'tries'} left.` : '';
      return { notice: { kind: 'error', text: `That code is not right.${tries}` }, restart: left === 0 };
    }
    case TwoFactorErrors.loginTimeout:
      return { notice: { kind: 'error', text: 'This sign-in timed out (codes must be entered within 5 minutes). Please sign in again.' }, restart: true };
    case TwoFactorErrors.retriesExceeded:
      return { notice: { kind: 'error', text: 'Too many wrong codes for this sign-in. Please sign in again.' }, restart: true };
    case TwoFactorErrors.accountLocked: {
      const until = err.details?.lockedUntil;
      const end = typeof until === 'number' || typeof until === 'string' ? new Date(until) : null;
      const at = end && !Number.isNaN(end.getTime()) ? ` It unlocks at ${end.toISOString().slice(0, 16).replace('T', ' ')} UTC.` : ' Try again later.';
      return { notice: { kind: 'error', text: `This account is locked after too many wrong codes.${at} An administrator can unlock it sooner.` }, restart: true };
    }
    case CommonErrors.unauthenticated:
      return { notice: { kind: 'error', text: 'This sign-in is no longer valid. Please sign in again.' }, restart: true };
    default:
      return { notice: { kind: 'error', text: err.message }, restart: false };
  }
}

function startSession(request: FastifyRequest, reply: FastifyReply, jwt: string, expiresAt: number): void {
  setCookie(request, reply, SESSION, jwt, { expires: new Date(expiresAt) });
  clearCookie(request, reply, LOGIN_FLOW, '/login');
}

export const loginPages: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  async function stepView(request: FastifyRequest, reply: FastifyReply, flow: Flow, notice: Notice | null, status = 200) {
    const csrf = csrfToken(core, request, reply);
    const title = flow.step === 'setup' ? 'Set up two-factor authentication' : 'Enter your code';
    return sendPage(reply, status, page({ title, notice }, html`<p class="muted">Signing in as ${flow.email}</p>${await stepBody(core, csrf, flow)}`));
  }

  function formView(request: FastifyRequest, reply: FastifyReply, notice: Notice | null, status = 200, values: LoginValues = {}, errors: Record<string, string> = {}) {
    return sendPage(reply, status, page({ title: 'Sign in', notice }, loginForm(core, csrfToken(core, request, reply), values, errors)));
  }

  app.get('/login', { schema: { hide: true, querystring: NextQuery } }, async (request, reply) => {
    const next = safeReturnTo(request.query.next);
    // Signed in already: no page of its own, straight on (to the return-to, else My security).
    if (await sessionCaller(core, request)) return reply.redirect(next ?? HOME, 303);
    const flow = readFlow(request);
    if (flow) return stepView(request, reply, flow, null);
    return formView(request, reply, null, 200, { next });
  });

  app.post('/login', { schema: { hide: true, body: LoginForm } }, async (request, reply) => {
    const body = request.body;
    let next = safeReturnTo(body.next);
    const partnerId = body.partnerId?.trim() ?? '';
    const siteId = body.siteId?.trim() ?? '';
    const values: LoginValues = { email: body.email, partnerId, siteId, next };
    const errors: Record<string, string> = {};
    if (!body.email.trim()) errors.email = 'Enter your email.';
    if (!body.password) errors.password = 'Enter your password.';
    if (partnerId && !ID_SHAPE.test(partnerId)) errors.partnerId = 'A Partner ID is a number, like 12.';
    if (siteId && !ID_SHAPE.test(siteId)) errors.siteId = 'A Site ID is a number, like 34.';
    if (Object.keys(errors).length) return formView(request, reply, { kind: 'error', text: 'Please fill in the fields marked below.' }, 400, values, errors);
    let result;
    try {
      result = await core.login.login({
        partnerId: partnerId ? Number(partnerId) : undefined,
        siteId: siteId ? Number(siteId) : undefined,
        email: body.email,
        password: body.password,
        verifiedToken: readCookie(request, TRUSTED_DEVICE),
        deviceToken: readCookie(request, DEVICE_COOKIE),
        clientAddress: request.ip,
      });
    } catch (err) {
      if (err instanceof GatehouseError && err.code === CommonErrors.unauthenticated) {
        return formView(request, reply, { kind: 'error', text: BAD_CREDENTIALS }, 401, values);
      }
      if (err instanceof GatehouseError && err.code === TwoFactorErrors.passwordRateLimited) {
        reply.header('retry-after', String(err.details?.retryAfter));
        return formView(request, reply, { kind: 'error', text: `Too many sign-in attempts: try again in ${err.details?.retryAfter} seconds, or from a browser you signed in with before.` }, 429, values);
      }
      throw err;
    }
    // The password was right: this browser keeps its own allowance of password tries (core/login/device-cookies.ts).
    setCookie(request, reply, DEVICE_COOKIE, result.deviceToken, { expires: new Date(result.deviceTokenExpiresAt) });
    // A phishing-resistant site's account without a passkey must register one before anything else (docs/passkeys.md).
    if (result.passkeyRegistrationRequired) next = REGISTER_PASSKEY;
    if (result.nextStep === 'noNeed') {
      startSession(request, reply, result.jwtToken!, result.expiresAt!);
      return reply.redirect(next ?? HOME, 303);
    }
    const flow: Flow = {
      token: result.preLoginToken!,
      step: result.nextStep === 'isNeed2faSetup' ? 'setup' : 'verify',
      mayTrust: result.isShowSkip2fa,
      email: result.email,
      ...(result.secretKey && { secretKey: result.secretKey, otpauthUrl: result.otpauthUrl }),
      ...(next && { next }),
    };
    setCookie(request, reply, LOGIN_FLOW, Buffer.from(JSON.stringify(flow)).toString('base64url'), { path: '/login', maxAgeSeconds: FLOW_SECONDS });
    return reply.redirect('/login', 303);
  });

  app.post('/login/code', { schema: { hide: true, body: CodeForm } }, async (request, reply) => {
    const flow = readFlow(request);
    if (!flow) return formView(request, reply, { kind: 'error', text: 'This sign-in timed out. Please sign in again.' }, 400);
    let result;
    try {
      result = await core.login.endLogin({
        preLoginToken: flow.token,
        code: request.body.code,
        secretKey: flow.secretKey,
        trustDevice: request.body.trust === 'on',
        clientAddress: request.ip,
        userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'].slice(0, 300) : null,
      });
    } catch (err) {
      if (!(err instanceof GatehouseError)) throw err;
      const { notice, restart } = codeFailure(err);
      if (!restart) return stepView(request, reply, flow, notice, 400);
      clearCookie(request, reply, LOGIN_FLOW, '/login');
      return formView(request, reply, notice, err.code === TwoFactorErrors.accountLocked ? 423 : 400, { email: flow.email, next: safeReturnTo(flow.next) });
    }
    startSession(request, reply, result.jwtToken, result.expiresAt);
    if (result.verifiedToken) setCookie(request, reply, TRUSTED_DEVICE, result.verifiedToken, { maxAgeSeconds: TRUSTED_DEVICE_TTL_MS / 1000 });
    const next = safeReturnTo(flow.next);
    if (flow.step === 'verify') return reply.redirect(next ?? HOME, 303);
    // Enrolled: the backup code is made now and shown on this answer only (never stored in the clear).
    const caller = await core.credentials.authenticateJwt(result.jwtToken);
    const backup = await core.twoFactor.manage.generateBackupCode(caller, undefined, 'any', request.ip);
    const csrf = csrfToken(core, request, reply);
    return sendPage(reply, 200, page({ title: 'Save your backup code', who: await whoIs(core, caller), csrf, notice: { kind: 'ok', text: 'Two-factor authentication is on.' } }, backupCodeBlock(csrf, backup, next ? `/login/saved?next=${encodeURIComponent(next)}` : '/login/saved')));
  });

  app.post('/login/saved', { schema: { hide: true, body: SavedForm, querystring: NextQuery } }, async (request, reply) => reply.redirect(safeReturnTo(request.query.next) ?? HOME, 303));

  app.post('/login/restart', { schema: { hide: true, body: PlainForm } }, async (request, reply) => {
    clearCookie(request, reply, LOGIN_FLOW, '/login');
    return reply.redirect('/login', 303);
  });

  app.post('/logout', { schema: { hide: true, body: PlainForm } }, async (request, reply) => {
    clearCookie(request, reply, SESSION);
    return reply.redirect('/login', 303);
  });
};

