/**
 * The passkey parts of the pages: "Sign in with a passkey" and the browser's passkey autofill on
 * /login, the passkey as the code step's alternative, and the passkeys of /account/security (add,
 * rename, remove on a confirmation page of its own). The WebAuthn calls are the one script
 * (passkey-script.ts); every ceremony's result is posted in an ordinary form, so the answers are
 * pages and redirects like every other form's. Without the script the buttons stay hidden.
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../../core/callers.js';
import type { Core } from '../../core/core.js';
import { GatehouseError, notFound } from '../../core/errors.js';
import { TwoFactorErrors } from '../../core/twofactor/errors.js';
import { TRUSTED_DEVICE_TTL_MS } from '../../core/trusted-devices/trusted-devices.js';
import { LOGIN_FLOW, SESSION, TRUSTED_DEVICE, clearCookie, csrfToken, readCookie, setCookie } from './cookies.js';
import { ConfirmField, confirmBody, confirmLink } from './confirm.js';
import { Html, type Notice, csrfField, html, page, when } from './html.js';
import { PASSKEY_JS, PASSKEY_SCRIPT_PATH, PASSKEY_SCRIPT_TAG } from './passkey-script.js';
import { FormId, sendPage } from './respond.js';
import { safeReturnTo } from './return-to.js';
import { sessionCaller, whoIs } from './session.js';

const BASE = '/account/security/passkeys';
const Csrf = Type.String({ maxLength: 100 });
const Plain = Type.Object({ _csrf: Csrf }, { additionalProperties: false });
// A WebAuthn response as JSON text: a few kilobytes at most (attestation "none").
const Ceremony = Type.String({ minLength: 2, maxLength: 16_000 });
const AssertionForm = Type.Object({ _csrf: Csrf, assertion: Ceremony, next: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });
const StepForm = Type.Object({ _csrf: Csrf, assertion: Ceremony, trust: Type.Optional(Type.Literal('on')) }, { additionalProperties: false });
const AttestationForm = Type.Object({ _csrf: Csrf, attestation: Ceremony, name: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false });
const RenameForm = Type.Object({ _csrf: Csrf, name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
const RemoveForm = Type.Object({ _csrf: Csrf, confirm: ConfirmField }, { additionalProperties: false });
const Params = Type.Object({ id: FormId });

const script = () => new Html(PASSKEY_SCRIPT_TAG);

/** /login's part: the passkey button (shown by the script), its form, and the script. */
export function passkeySignInSection(core: Core, csrf: string, next: string | null): Html {
  if (!core.passkeys.enabled()) return html``;
  return html`<section class="card passkey" id="passkey-signin-card">
<button type="button" class="secondary" id="passkey-signin" hidden data-passkey-get="/login/passkey/options" data-csrf="${csrf}" data-form="passkey-signin-form" data-status="passkey-status">Sign in with a passkey</button>
<p class="muted notice-inline" id="passkey-status" role="status" hidden></p>
<form method="post" action="/login/passkey" id="passkey-signin-form">${csrfField(csrf)}<input type="hidden" name="assertion">${next ? html`<input type="hidden" name="next" value="${next}">` : ''}</form>
</section>${script()}`;
}

/** The email field's attributes for the browser's passkey autofill (conditional mediation). */
export function passkeyAutofillAttributes(core: Core, csrf: string): Html {
  if (!core.passkeys.enabled()) return html``;
  return html` data-passkey-autofill="/login/passkey/options" data-csrf="${csrf}" data-form="passkey-signin-form"`;
}

/** The code step's alternative: the passkey (the script fetches this login's options), with "trust this device" where the code step offers it. */
export function passkeyStepSection(core: Core, csrf: string, mayTrust: boolean): Html {
  if (!core.passkeys.enabled()) return html``;
  const trust = mayTrust ? html`<label class="check"><input type="checkbox" name="trust" value="on" id="passkey-trust"> Trust this device for 14 days</label>` : '';
  return html`<section class="card passkey"><p class="muted">Or confirm with your passkey.</p>
<button type="button" id="passkey-step" hidden data-passkey-get="/login/passkey/step-options" data-csrf="${csrf}" data-form="passkey-step-form" data-status="passkey-status">Use your passkey</button>
<p class="muted" id="passkey-status" role="status" hidden></p>
<form method="post" action="/login/passkey/step" id="passkey-step-form">${csrfField(csrf)}<input type="hidden" name="assertion">${trust}</form></section>${script()}`;
}

/** /account/security's card: the caller's passkeys, add, rename, remove. */
export async function passkeySecuritySection(core: Core, caller: Caller, csrf: string): Promise<Html> {
  if (!core.passkeys.enabled() || caller.accountId === null) return html``;
  const [passkeys, phishingResistant] = await Promise.all([core.passkeys.list(caller), core.passkeys.phishingResistant(caller.tenantId)]);
  const items = passkeys.map(
    (p) => html`<div class="item passkey-item" data-passkey-id="${p.id}"><h3>${p.name}</h3>
<p class="muted">${p.authenticator ?? 'Unknown authenticator'} · ${p.backedUp ? 'synced (backed up)' : 'this device only'} · added ${when(p.createdAt)} · last used ${p.lastUsedAt ? when(p.lastUsedAt) : 'not yet'}</p>
<form method="post" action="${BASE}/${p.id}/rename" class="row">${csrfField(csrf)}<div><label for="passkey-name-${p.id}">Name</label><input id="passkey-name-${p.id}" name="name" maxlength="100" required value="${p.name}"></div><button class="small secondary">Rename</button></form>
<div class="actions">${confirmLink(`${BASE}/${p.id}/remove`, 'Remove')}</div></div>`,
  );
  return html`<section class="card" id="passkeys"><h2>Passkeys</h2>
${phishingResistant ? html`<p class="notice info">Your site requires signing in with a passkey.${passkeys.length ? '' : ' Add one now: your next sign-in needs it.'}</p>` : ''}
${passkeys.length ? html`<div id="passkey-list">${items}</div>` : html`<p class="muted" id="no-passkeys">No passkeys yet. A passkey signs you in with your fingerprint, face or device PIN, and cannot be phished.</p>`}
<form method="post" action="${BASE}" id="passkey-add-form">${csrfField(csrf)}<input type="hidden" name="attestation">
<label for="passkey-new-name">Name of the new passkey <span class="muted">(optional)</span></label><input id="passkey-new-name" name="name" maxlength="100" placeholder="work laptop"></form>
<button type="button" id="passkey-add" hidden data-passkey-create="${BASE}/options" data-csrf="${csrf}" data-form="passkey-add-form" data-status="passkey-status">Add a passkey</button>
<p class="muted" id="passkey-status" role="status" hidden></p>
<noscript><p class="muted">Adding a passkey needs JavaScript (the browser's WebAuthn).</p></noscript></section>${script()}`;
}

interface Flow {
  token: string;
  step: string;
  next?: string;
}

/** The sign-in in progress (login-pages.ts keeps it in gh_login): only its token, step and return-to are read here. */
function readFlow(request: FastifyRequest): Flow | null {
  const raw = readCookie(request, LOGIN_FLOW);
  if (!raw) return null;
  try {
    const flow = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Flow;
    return typeof flow.token === 'string' && typeof flow.step === 'string' ? flow : null;
  } catch {
    return null;
  }
}

function parse(field: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new GatehouseError('validation', `${field}: is not JSON`, { field });
  }
}

export const passkeyPages: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  app.get(PASSKEY_SCRIPT_PATH, { schema: { hide: true } }, (_request, reply) => {
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(PASSKEY_JS);
  });

  function failure(request: FastifyRequest, reply: FastifyReply, text: string, status: number) {
    const notice: Notice = { kind: 'error', text };
    return sendPage(reply, status, page({ title: 'Sign in', notice }, html`<p><a href="/login">Back to sign-in</a></p>`));
  }

  /** Signed in: to the page the sign-in started from (?next=, kept in the form or the flow), else /login, which sends on home. */
  function signIn(request: FastifyRequest, reply: FastifyReply, jwt: string, expiresAt: number, next: unknown) {
    setCookie(request, reply, SESSION, jwt, { expires: new Date(expiresAt) });
    clearCookie(request, reply, LOGIN_FLOW, '/login');
    return reply.redirect(safeReturnTo(next) ?? '/login', 303);
  }

  // Sign-in steps: the login audit records them, the admin audit trail does not (issue 25's Decisions).
  app.post('/login/passkey/options', { config: { notAudited: 'login' }, schema: { hide: true, body: Plain } }, async () => core.passkeys.passwordlessOptions());

  app.post('/login/passkey', { config: { notAudited: 'login' }, schema: { hide: true, body: AssertionForm } }, async (request, reply) => {
    try {
      const result = await core.login.passkeySignIn(parse('assertion', request.body.assertion), request.ip);
      return signIn(request, reply, result.jwtToken, result.expiresAt, request.body.next);
    } catch (err) {
      if (!(err instanceof GatehouseError)) throw err;
      if (err.code === TwoFactorErrors.accountLocked) return failure(request, reply, 'This account is locked after too many wrong codes. Try again later.', 423);
      return failure(request, reply, 'That passkey did not sign you in. Sign in with your password, or try another passkey.', 401);
    }
  });

  app.post('/login/passkey/step-options', { config: { notAudited: 'login' }, schema: { hide: true, body: Plain } }, async (request) => {
    const flow = readFlow(request);
    const options = flow ? await core.login.passkeyOptionsFor(flow.token) : null;
    if (!options) throw notFound('a passkey for this sign-in');
    return options;
  });

  app.post('/login/passkey/step', { config: { notAudited: 'login' }, schema: { hide: true, body: StepForm } }, async (request, reply) => {
    const flow = readFlow(request);
    if (!flow) return failure(request, reply, 'This sign-in timed out. Please sign in again.', 400);
    let result;
    try {
      result = await core.login.endLogin({
        preLoginToken: flow.token,
        code: '',
        assertion: parse('assertion', request.body.assertion),
        // Honoured only where the login may trust a device (core), as on the code step.
        trustDevice: request.body.trust === 'on',
        clientAddress: request.ip,
        userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'].slice(0, 300) : null,
      });
    } catch (err) {
      if (!(err instanceof GatehouseError)) throw err;
      const left = err.details?.retryRemainingNumber;
      // A refused passkey counts as a wrong code: the code page (login-pages.ts) shows the tries left.
      if (err.code === TwoFactorErrors.codeVerifyFailed && typeof left === 'number' && left > 0) {
        return failure(request, reply, `That passkey was not accepted. ${left} ${left === 1 ? 'try' : 'tries'} left: go back to enter a code or try again.`, 400);
      }
      clearCookie(request, reply, LOGIN_FLOW, '/login');
      return failure(request, reply, err.code === TwoFactorErrors.accountLocked ? 'This account is locked after too many wrong codes.' : 'This sign-in can no longer be completed. Please sign in again.', err.code === TwoFactorErrors.accountLocked ? 423 : 400);
    }
    if (result.verifiedToken) setCookie(request, reply, TRUSTED_DEVICE, result.verifiedToken, { maxAgeSeconds: TRUSTED_DEVICE_TTL_MS / 1000 });
    return signIn(request, reply, result.jwtToken, result.expiresAt, flow.next);
  });

  async function signedIn(request: FastifyRequest, reply: FastifyReply): Promise<Caller | null> {
    const caller = await sessionCaller(core, request);
    if (!caller || caller.accountId === null) {
      reply.redirect('/login', 303);
      return null;
    }
    return caller;
  }

  async function done(request: FastifyRequest, reply: FastifyReply, caller: Caller, notice: Notice, status = 200) {
    const csrf = csrfToken(core, request, reply);
    return sendPage(reply, status, page({ title: 'Passkeys', who: await whoIs(core, caller), csrf, notice }, html`${await passkeySecuritySection(core, caller, csrf)}<p><a href="/account/security">Back to my security</a></p>`));
  }

  // A challenge for the browser, nothing of the account changes: not in the admin audit trail (issue 25).
  app.post(`${BASE}/options`, { config: { notAudited: 'read' }, schema: { hide: true, body: Plain } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
    return core.passkeys.registrationOptions(caller);
  });

  app.post(BASE, { schema: { hide: true, body: AttestationForm } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
    try {
      const passkey = await core.passkeys.register(caller, parse('attestation', request.body.attestation), request.body.name || undefined, request.ip);
      return done(request, reply, caller, { kind: 'ok', text: `Passkey "${passkey.name}" added.` });
    } catch (err) {
      if (err instanceof GatehouseError && err.code !== 'forbidden') return done(request, reply, caller, { kind: 'error', text: err.message }, 400);
      throw err;
    }
  });

  app.post(`${BASE}/:id/rename`, { schema: { hide: true, params: Params, body: RenameForm } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
    const passkey = await core.passkeys.rename(caller, Number(request.params.id), request.body.name, request.ip);
    return done(request, reply, caller, { kind: 'ok', text: `Renamed to "${passkey.name}".` });
  });

  async function askRemove(request: FastifyRequest, reply: FastifyReply, caller: Caller, id: number, notice: Notice | null = null, status = 200) {
    const passkey = await core.passkeys.get(caller, id);
    const csrf = csrfToken(core, request, reply);
    return sendPage(reply, status, page({ title: 'Remove a passkey', who: await whoIs(core, caller), csrf, notice }, confirmBody({
      question: `Remove the passkey "${passkey.name}"? It will no longer sign you in; the authenticator may keep a copy you can delete there.`,
      action: `${BASE}/${id}/remove`,
      button: 'Remove passkey',
      cancel: '/account/security',
      csrf,
    })));
  }

  app.get(`${BASE}/:id/remove`, { schema: { hide: true, params: Params } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    return caller ? askRemove(request, reply, caller, Number(request.params.id)) : reply;
  });

  app.post(`${BASE}/:id/remove`, { schema: { hide: true, params: Params, body: RemoveForm } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
    const id = Number(request.params.id);
    if (request.body.confirm !== 'yes') return askRemove(request, reply, caller, id);
    try {
      await core.passkeys.remove(caller, id, request.ip);
    } catch (err) {
      if (err instanceof GatehouseError && err.code === 'last_passkey') return askRemove(request, reply, caller, id, { kind: 'error', text: err.message }, 409);
      throw err;
    }
    return done(request, reply, caller, { kind: 'ok', text: 'Passkey removed.' });
  });
};
