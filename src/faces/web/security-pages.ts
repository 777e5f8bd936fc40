/**
 * My security (/account/security), for the signed-in agent: 2FA on or off as the site's policy allows,
 * a new backup code (shown once), trusted devices with revoke, and recent sign-in events.
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../../core/callers.js';
import type { Core } from '../../core/core.js';
import { CommonErrors, GatehouseError } from '../../core/errors.js';
import { ROLE_TITLES, can } from '../../core/roles.js';
import { TwoFactorErrors } from '../../core/twofactor/errors.js';
import { clearCookie, csrfToken, readCookie, setCookie } from './cookies.js';
import { backupCodeBlock, enrolBlock } from './enrol.js';
import { passwordSection } from './password-pages.js';
import { type Notice, csrfField, html, page, when } from './html.js';
import { ConfirmField, confirmBody, confirmLink } from './confirm.js';
import { passkeySecuritySection } from './passkey-pages.js';
import { FormId, sendPage } from './respond.js';
import { loginPath, safeReturnTo } from './return-to.js';
import { sessionCaller, whoIs } from './session.js';

const BASE = '/account/security';
/** The secret being enrolled from this page, between the QR code and its first code (5 minutes). */
const ENROL = 'gh_enrol';

const Plain = Type.Object({ _csrf: Type.String({ maxLength: 100 }) }, { additionalProperties: false });
const Confirmed = Type.Object({ _csrf: Type.String({ maxLength: 100 }), confirm: ConfirmField }, { additionalProperties: false });
const WithCode = Type.Object({ _csrf: Type.String({ maxLength: 100 }), code: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
const Saved = Type.Object({ _csrf: Type.String({ maxLength: 100 }), saved: Type.Literal('on') }, { additionalProperties: false });
const DeviceParams = Type.Object({ id: FormId });
/** Only `passkey` is read; anything else in the address is ignored rather than refused. */
const SecurityQuery = Type.Object({ passkey: Type.Optional(Type.String({ maxLength: 20 })) });

const EVENT_TEXT: Record<string, string> = {
  setup: '2FA turned on',
  update: '2FA secret changed',
  removal: '2FA turned off',
  verify_success: 'Code accepted',
  verify_failure: 'Wrong code',
  lock: 'Account locked',
  unlock: 'Account unlocked',
  backup_code_used: 'Backup code used',
  backup_code_generated: 'New backup code',
  backup_code_revoked: 'Backup code revoked',
  trusted_device_issued: 'Device trusted',
  trusted_device_revoked: 'Trusted device revoked',
  login_password_failure: 'Wrong password',
  login_success: 'Signed in',
  login_rate_limited: 'Too many password tries',
  site_requirement_set: 'Site 2FA policy changed',
  passkey_registered: 'Passkey added',
  passkey_renamed: 'Passkey renamed',
  passkey_removed: 'Passkey removed',
  passkey_used: 'Passkey used',
  passkey_failure: 'Passkey refused',
  passkey_counter_regressed: 'Passkey refused: it may have been copied',
  site_phishing_resistant_set: 'Site passkey policy changed',
};

/** "Chrome on Linux" from a User-Agent, enough to recognise one's own devices. */
export function browserName(userAgent: string | null): string {
  if (!userAgent) return 'unknown browser';
  const browser = /Edg\//.test(userAgent) ? 'Edge' : /Firefox\//.test(userAgent) ? 'Firefox' : /Chrom(e|ium)\//.test(userAgent) ? 'Chrome' : /Safari\//.test(userAgent) ? 'Safari' : 'a browser';
  const os = /Android/.test(userAgent) ? 'Android' : /iPhone|iPad/.test(userAgent) ? 'iOS' : /Windows/.test(userAgent) ? 'Windows' : /Mac OS X/.test(userAgent) ? 'macOS' : /Linux/.test(userAgent) ? 'Linux' : 'another system';
  return `${browser} on ${os}`;
}

export const securityPages: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  async function signedIn(request: FastifyRequest, reply: FastifyReply): Promise<Caller | null> {
    const caller = await sessionCaller(core, request);
    if (!caller || caller.accountId === null) {
      // Signed out (or the session ended): sign in, then come back to this page (a GET; after a post, to My security).
      reply.redirect(loginPath(request.method === 'GET' ? safeReturnTo(request.url) : BASE), 303);
      return null;
    }
    return caller;
  }

  async function view(request: FastifyRequest, reply: FastifyReply, caller: Caller, notice: Notice | null, status = 200) {
    const csrf = csrfToken(core, request, reply);
    const accountId = caller.accountId!;
    const [account, config, requirement, backup, devices, events, passkeys] = await Promise.all([
      core.accounts.get(caller, accountId),
      core.twoFactor.getConfig(accountId),
      core.twoFactor.siteRequirement(caller.tenantId),
      core.twoFactor.manage.backupCodeStatus(caller, undefined, 'any'),
      core.trustedDevices.list(caller),
      core.audit.list(caller, { accountId, limit: 20 }),
      core.passkeys.count(accountId),
    ]);
    const twoFactor = config
      ? html`<p>Two-factor authentication is <span class="badge good" id="twofactor-state">on</span> since ${when(config.createdAt)}.</p>
${requirement === null
  ? html`<div class="actions">${confirmLink(`${BASE}/2fa/off`, 'Turn off 2FA')}</div>`
  : html`<p class="muted">Your site requires 2FA, so it cannot be turned off here.</p>`}`
      : html`<p>Two-factor authentication is <span class="badge bad" id="twofactor-state">off</span>.</p>
<form method="post" action="${BASE}/2fa/on">${csrfField(csrf)}<button>Turn on 2FA</button></form>`;
    // A passkey is a second factor too: its backup code is the recovery when the authenticator is lost.
    const backupBlock = config || passkeys > 0
      ? html`<p>${backup.exists ? html`You have an unused backup code, made ${when(backup.createdAt)}.` : 'You have no unused backup code.'}</p>
<form method="post" action="${BASE}/backup-code">${csrfField(csrf)}<button class="secondary">${backup.exists ? 'Replace it with a new one' : 'Make a backup code'}</button></form>`
      : html`<p class="muted">Turn on 2FA or add a passkey first.</p>`;
    const deviceItems = devices.map(
      (d) => html`<div class="item"><h3>${browserName(d.userAgent)}</h3>
<p class="muted">from ${d.clientAddress ?? 'an unknown address'} · trusted ${when(d.createdAt)} · last used ${d.lastUsedAt ? when(d.lastUsedAt) : 'not yet'} · until ${when(d.expiresAt)}</p>
<div class="actions">${confirmLink(`${BASE}/devices/${d.id}/revoke`, 'Revoke')}</div></div>`,
    );
    const deviceBlock = devices.length
      ? html`<div id="devices">${deviceItems}</div>
<div class="actions">${confirmLink(`${BASE}/devices/revoke-all`, 'Revoke all')}</div>`
      : html`<p class="muted" id="no-devices">${
          // Said as it is: a code is asked only with 2FA on, and a device can be trusted only where the site allows it.
          !config && passkeys === 0
            ? 'No trusted devices. With 2FA off, signing in asks for no code, so there is nothing to trust a device for.'
            : requirement === 1
              ? 'No trusted devices: every sign-in asks for a code or passkey. At that step, tick "Trust this device" to skip it for 14 days.'
              : 'No trusted devices: your site does not allow trusting a device, so every sign-in asks for a code.'
        }</p>`;
    const eventRows = events.map(
      (e) => html`<tr><td>${when(e.at)}</td><td>${EVENT_TEXT[e.event] ?? e.event}</td><td>${e.clientAddress ?? ''}</td></tr>`,
    );
    return sendPage(reply, status, page({ title: 'My security', who: await whoIs(core, caller), csrf, notice }, html`
<p class="muted">Signed in as <strong id="signed-in-email">${account.email ?? account.username}</strong> · ${ROLE_TITLES[caller.role]} · tenant #${caller.tenantId}${can(caller, 'tenants.read') && caller.role === 'superagent' ? html` · <a href="/console" id="console-link">Admin console</a>` : ''}</p>
<section class="card"><h2>Two-factor authentication</h2>${twoFactor}</section>
${await passkeySecuritySection(core, caller, csrf)}
<section class="card"><h2>Backup code</h2>${backupBlock}</section>
${passwordSection(csrf)}
<section class="card"><h2>Trusted devices</h2>${deviceBlock}</section>
<section class="card"><h2>Recent sign-in activity</h2>${events.length
      ? html`<div class="table"><table id="events"><thead><tr><th>When</th><th>What</th><th>From</th></tr></thead><tbody>${eventRows}</tbody></table></div>`
      : html`<p class="muted">Nothing yet.</p>`}</section>`));
  }

  app.get(BASE, { schema: { hide: true, querystring: SecurityQuery } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
    // Sent here by the sign-in (login-pages.ts): the site takes passkeys only and this account has none yet.
    const mustRegister = request.query.passkey === 'required' && (await core.passkeys.count(caller.accountId!)) === 0;
    return view(request, reply, caller, mustRegister ? { kind: 'info', text: 'Your site requires signing in with a passkey, and you have none yet: add one under Passkeys below. Your next sign-in needs it.' } : null);
  });

  /** The question page of a destructive action (confirm.ts); its post acts only with confirm=yes. */
  async function ask(request: FastifyRequest, reply: FastifyReply, caller: Caller, title: string, question: string, action: string, button: string) {
    const csrf = csrfToken(core, request, reply);
    return sendPage(reply, 200, page({ title, who: await whoIs(core, caller), csrf }, confirmBody({ question, action, button, cancel: BASE, csrf })));
  }

  app.get(`${BASE}/2fa/off`, { schema: { hide: true } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    return caller ? ask(request, reply, caller, 'Turn off 2FA?', 'Turn off two-factor authentication? Sign-ins will ask for your password only, and your backup code and trusted devices stop counting.', `${BASE}/2fa/off`, 'Turn off 2FA') : reply;
  });

  app.post(`${BASE}/2fa/off`, { schema: { hide: true, body: Confirmed } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
    if (request.body.confirm !== 'yes') return reply.redirect(`${BASE}/2fa/off`, 303);
    if ((await core.twoFactor.siteRequirement(caller.tenantId)) !== null) return view(request, reply, caller, { kind: 'error', text: 'Your site requires 2FA.' }, 403);
    await core.twoFactor.manage.deleteConfig(caller, undefined, 'any', request.ip);
    return view(request, reply, caller, { kind: 'ok', text: 'Two-factor authentication is off.' });
  });

  async function enrolView(request: FastifyRequest, reply: FastifyReply, caller: Caller, secret: { secretKey: string; otpauthUrl: string }, notice: Notice | null, status = 200) {
    const csrf = csrfToken(core, request, reply);
    return sendPage(reply, status, page({ title: 'Turn on 2FA', who: await whoIs(core, caller), csrf, notice }, await enrolBlock(core, csrf, secret, `${BASE}/2fa/confirm`)));
  }

  app.post(`${BASE}/2fa/on`, { schema: { hide: true, body: Plain } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
    const secret = await core.twoFactor.newSecretFor(caller.accountId!);
    setCookie(request, reply, ENROL, Buffer.from(JSON.stringify(secret)).toString('base64url'), { path: BASE, maxAgeSeconds: 300 });
    return enrolView(request, reply, caller, secret, null);
  });

  app.post(`${BASE}/2fa/confirm`, { schema: { hide: true, body: WithCode } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
    const raw = readCookie(request, ENROL);
    let secret: { secretKey: string; otpauthUrl: string } | null = null;
    try {
      secret = raw ? JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) : null;
    } catch {
      secret = null;
    }
    if (!secret || typeof secret.secretKey !== 'string') return view(request, reply, caller, { kind: 'error', text: 'That took too long; please start again.' }, 400);
    try {
      await core.twoFactor.manage.createConfig(caller, undefined, 'any', secret.secretKey, request.body.code.replace(/\s/g, ''), request.ip);
    } catch (err) {
      if (err instanceof GatehouseError && (err.code === TwoFactorErrors.codeVerifyFailed || err.code === CommonErrors.validation)) {
        return enrolView(request, reply, caller, secret, { kind: 'error', text: 'That code is not right; check the time on your phone and try the next one.' }, 400);
      }
      throw err;
    }
    clearCookie(request, reply, ENROL, BASE);
    const code = await core.twoFactor.manage.generateBackupCode(caller, undefined, 'any', request.ip);
    const csrf = csrfToken(core, request, reply);
    return sendPage(reply, 200, page({ title: 'Save your backup code', who: await whoIs(core, caller), csrf, notice: { kind: 'ok', text: 'Two-factor authentication is on.' } }, backupCodeBlock(csrf, code, `${BASE}/saved`)));
  });

  app.post(`${BASE}/backup-code`, { schema: { hide: true, body: Plain } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
    const code = await core.twoFactor.manage.generateBackupCode(caller, undefined, 'any', request.ip);
    const csrf = csrfToken(core, request, reply);
    return sendPage(reply, 200, page({ title: 'Your new backup code', who: await whoIs(core, caller), csrf, notice: { kind: 'info', text: 'Your previous backup code no longer works.' } }, backupCodeBlock(csrf, code, `${BASE}/saved`)));
  });

  app.post(`${BASE}/saved`, { config: { notAudited: 'read' }, schema: { hide: true, body: Saved } }, async (_request, reply) => reply.redirect(BASE, 303));

  app.get(`${BASE}/devices/:id/revoke`, { schema: { hide: true, params: DeviceParams } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
    const device = (await core.trustedDevices.list(caller)).find((d) => d.id === Number(request.params.id));
    if (!device) return view(request, reply, caller, { kind: 'error', text: 'That device is not trusted any more.' }, 404);
    return ask(request, reply, caller, 'Revoke this device?', `Revoke ${browserName(device.userAgent)} (from ${device.clientAddress ?? 'an unknown address'})? Its next sign-in asks for a code.`, `${BASE}/devices/${device.id}/revoke`, 'Revoke');
  });

  app.post(`${BASE}/devices/:id/revoke`, { schema: { hide: true, params: DeviceParams, body: Confirmed } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
    if (request.body.confirm !== 'yes') return reply.redirect(`${BASE}/devices/${request.params.id}/revoke`, 303);
    await core.trustedDevices.revoke(caller, Number(request.params.id), request.ip);
    return view(request, reply, caller, { kind: 'ok', text: 'That device will be asked for a code at its next sign-in.' });
  });

  app.get(`${BASE}/devices/revoke-all`, { schema: { hide: true } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    return caller ? ask(request, reply, caller, 'Revoke every device?', 'Revoke every trusted device? Each asks for a code at its next sign-in, this browser included.', `${BASE}/devices/revoke-all`, 'Revoke all') : reply;
  });

  app.post(`${BASE}/devices/revoke-all`, { schema: { hide: true, body: Confirmed } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
    if (request.body.confirm !== 'yes') return reply.redirect(`${BASE}/devices/revoke-all`, 303);
    const n = await core.trustedDevices.revokeAll(caller, undefined, request.ip);
    return view(request, reply, caller, { kind: 'ok', text: `${n} trusted ${n === 1 ? 'device' : 'devices'} revoked.` });
  });
};
