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
import { TwoFactorErrors } from '../../core/twofactor/errors.js';
import { clearCookie, csrfToken, readCookie, setCookie } from './cookies.js';
import { backupCodeBlock, enrolBlock } from './enrol.js';
import { passwordSection } from './password-pages.js';
import { type Notice, csrfField, html, page, when } from './html.js';
import { FormId, sendPage } from './respond.js';
import { sessionCaller, whoIs } from './session.js';

const BASE = '/account/security';
/** The secret being enrolled from this page, between the QR code and its first code (5 minutes). */
const ENROL = 'gh_enrol';

const Plain = Type.Object({ _csrf: Type.String({ maxLength: 100 }) }, { additionalProperties: false });
const WithCode = Type.Object({ _csrf: Type.String({ maxLength: 100 }), code: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
const Saved = Type.Object({ _csrf: Type.String({ maxLength: 100 }), saved: Type.Literal('on') }, { additionalProperties: false });
const DeviceParams = Type.Object({ id: FormId });

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
  site_requirement_set: 'Site 2FA policy changed',
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
      reply.redirect('/login', 303);
      return null;
    }
    return caller;
  }

  async function view(request: FastifyRequest, reply: FastifyReply, caller: Caller, notice: Notice | null, status = 200) {
    const csrf = csrfToken(core, request, reply);
    const accountId = caller.accountId!;
    const [config, requirement, backup, devices, events] = await Promise.all([
      core.twoFactor.getConfig(accountId),
      core.twoFactor.siteRequirement(caller.tenantId),
      core.twoFactor.manage.backupCodeStatus(caller, undefined, 'any'),
      core.trustedDevices.list(caller),
      core.audit.list(caller, { accountId, limit: 20 }),
    ]);
    const twoFactor = config
      ? html`<p>Two-factor authentication is <span class="badge good" id="twofactor-state">on</span> since ${when(config.createdAt)}.</p>
${requirement === null
  ? html`<form method="post" action="${BASE}/2fa/off">${csrfField(csrf)}<button class="danger">Turn off 2FA</button></form>`
  : html`<p class="muted">Your site requires 2FA, so it cannot be turned off here.</p>`}`
      : html`<p>Two-factor authentication is <span class="badge bad" id="twofactor-state">off</span>.</p>
<form method="post" action="${BASE}/2fa/on">${csrfField(csrf)}<button>Turn on 2FA</button></form>`;
    const backupBlock = config
      ? html`<p>${backup.exists ? html`You have an unused backup code, made ${when(backup.createdAt)}.` : 'You have no unused backup code.'}</p>
<form method="post" action="${BASE}/backup-code">${csrfField(csrf)}<button class="secondary">${backup.exists ? 'Replace it with a new one' : 'Make a backup code'}</button></form>`
      : html`<p class="muted">Turn on 2FA first.</p>`;
    const deviceItems = devices.map(
      (d) => html`<div class="item"><h3>${browserName(d.userAgent)}</h3>
<p class="muted">from ${d.clientAddress ?? 'an unknown address'} · trusted ${when(d.createdAt)} · last used ${d.lastUsedAt ? when(d.lastUsedAt) : 'not yet'} · until ${when(d.expiresAt)}</p>
<form method="post" action="${BASE}/devices/${d.id}/revoke">${csrfField(csrf)}<div class="actions"><button class="small secondary">Revoke</button></div></form></div>`,
    );
    const deviceBlock = devices.length
      ? html`<div id="devices">${deviceItems}</div>
<form method="post" action="${BASE}/devices/revoke-all">${csrfField(csrf)}<button class="danger">Revoke all</button></form>`
      : html`<p class="muted" id="no-devices">No trusted devices: every sign-in asks for a code.</p>`;
    const eventRows = events.map(
      (e) => html`<tr><td>${when(e.at)}</td><td>${EVENT_TEXT[e.event] ?? e.event}</td><td>${e.clientAddress ?? ''}</td></tr>`,
    );
    return sendPage(reply, status, page({ title: 'My security', who: await whoIs(core, caller), csrf, notice }, html`
<section class="card"><h2>Two-factor authentication</h2>${twoFactor}</section>
<section class="card"><h2>Backup code</h2>${backupBlock}</section>
${passwordSection(csrf)}
<section class="card"><h2>Trusted devices</h2>${deviceBlock}</section>
<section class="card"><h2>Recent sign-in activity</h2>${events.length
      ? html`<div class="table"><table id="events"><thead><tr><th>When</th><th>What</th><th>From</th></tr></thead><tbody>${eventRows}</tbody></table></div>`
      : html`<p class="muted">Nothing yet.</p>`}</section>`));
  }

  app.get(BASE, { schema: { hide: true } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    return caller ? view(request, reply, caller, null) : reply;
  });

  app.post(`${BASE}/2fa/off`, { schema: { hide: true, body: Plain } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
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

  app.post(`${BASE}/saved`, { schema: { hide: true, body: Saved } }, async (_request, reply) => reply.redirect(BASE, 303));

  app.post(`${BASE}/devices/:id/revoke`, { schema: { hide: true, params: DeviceParams, body: Plain } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
    await core.trustedDevices.revoke(caller, Number(request.params.id), request.ip);
    return view(request, reply, caller, { kind: 'ok', text: 'That device will be asked for a code at its next sign-in.' });
  });

  app.post(`${BASE}/devices/revoke-all`, { schema: { hide: true, body: Plain } }, async (request, reply) => {
    const caller = await signedIn(request, reply);
    if (!caller) return reply;
    const n = await core.trustedDevices.revokeAll(caller, undefined, request.ip);
    return view(request, reply, caller, { kind: 'ok', text: `${n} trusted ${n === 1 ? 'device' : 'devices'} revoked.` });
  });
};
