/** The two blocks that enrolment shows wherever it happens (sign-in, My security): QR + secret + code, and the backup code once. */
import type { Core } from '../../core/core.js';
import { type Html, csrfField, html } from './html.js';

export async function enrolBlock(core: Core, csrf: string, secret: { secretKey: string; otpauthUrl: string }, action: string, extra: Html | string = ''): Promise<Html> {
  const qr = await core.twoFactor.qrcodeUrl(secret.otpauthUrl);
  return html`<section class="card"><p>Scan this code with an authenticator app (Google Authenticator, 1Password, Authy…):</p>
<img class="qr" id="qr" src="${qr}" width="220" height="220" alt="QR code of your 2FA secret">
<p class="muted">Or enter this secret by hand:</p><p class="secret" id="secret">${secret.secretKey.replace(/(.{4})/g, '$1 ').trim()}</p>
<form method="post" action="${action}">${csrfField(csrf)}
<label for="code">Code from the app</label>
<input id="code" name="code" class="code" autocomplete="one-time-code" inputmode="numeric" required autofocus>
<p class="muted">Six digits; it changes every 30 seconds.</p>${extra}
<button type="submit">Turn on 2FA</button></form></section>`;
}

export function backupCodeBlock(csrf: string, code: string, action: string): Html {
  return html`<section class="card">
<p>If you lose your authenticator app, this backup code signs you in once. It is shown only now: write it down or keep it in a password manager.</p>
<p class="secret" id="backup-code">${code}</p>
<form method="post" action="${action}">${csrfField(csrf)}
<label class="check"><input type="checkbox" name="saved" value="on" required> I saved my backup code</label>
<button type="submit">Continue</button></form></section>`;
}
