/**
 * A person's own password change (/account/security): the current password is required, the new one
 * typed twice. Every other session of the account ends (its JWTs, trusted devices and sign-ins in
 * progress, as every password change does); the session that made the change goes on, re-issued
 * under the account's new credentials generation. A wrong field is said under that field, with the
 * form kept (passwords are never sent back into a page).
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../../core/callers.js';
import type { Core } from '../../core/core.js';
import { GatehouseError } from '../../core/errors.js';
import { SESSION, csrfToken, readCookie, setCookie } from './cookies.js';
import { type Html, type Notice, csrfField, html, page } from './html.js';
import { sendPage } from './respond.js';
import { sessionCaller, whoIs } from './session.js';

const PATH = '/account/security/password';
const Field = Type.String({ maxLength: 1024 });
const PasswordForm = Type.Object({ _csrf: Type.String({ maxLength: 100 }), current: Field, password: Field, repeat: Field }, { additionalProperties: false });

type Errors = Partial<Record<'current' | 'password' | 'repeat', string>>;

const fieldError = (errors: Errors, field: keyof Errors) => (errors[field] ? html`<p class="field-error" id="error-${field}">${errors[field]!}</p>` : html``);

/** The change-password form: the section of /account/security, and the page an error re-renders. */
export function passwordSection(csrf: string, errors: Errors = {}): Html {
  return html`<section class="card" id="password"><h2>Password</h2>
<form method="post" action="${PATH}">${csrfField(csrf)}
<label for="current-password">Current password</label><input id="current-password" name="current" type="password" required autocomplete="current-password" maxlength="1024">${fieldError(errors, 'current')}
<label for="new-password">New password</label><input id="new-password" name="password" type="password" required minlength="8" autocomplete="new-password" maxlength="1024">${fieldError(errors, 'password')}
<label for="repeat-password">New password again</label><input id="repeat-password" name="repeat" type="password" required minlength="8" autocomplete="new-password" maxlength="1024">${fieldError(errors, 'repeat')}
<p class="muted">Your other sessions end (other browsers, apps, API tokens of yours, trusted devices); this one goes on.</p>
<button type="submit">Change password</button></form></section>`;
}

export const passwordPages: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  const show = async (request: FastifyRequest, reply: FastifyReply, caller: Caller, errors: Errors, notice: Notice | null, status: number) => {
    const csrf = csrfToken(core, request, reply);
    const back = html`<p><a href="/account/security">← My security</a></p>`;
    const body = notice?.kind === 'ok' ? back : html`${passwordSection(csrf, errors)}${back}`;
    return sendPage(reply, status, page({ title: 'Change password', who: await whoIs(core, caller), csrf, notice }, body));
  };

  app.get(PATH, { schema: { hide: true } }, async (request, reply) => {
    const caller = await sessionCaller(core, request);
    if (!caller || caller.accountId === null) return reply.redirect('/login', 303);
    return show(request, reply, caller, {}, null, 200);
  });

  app.post(PATH, { schema: { hide: true, body: PasswordForm } }, async (request, reply) => {
    const caller = await sessionCaller(core, request);
    const session = readCookie(request, SESSION);
    if (!caller || caller.accountId === null || !session) return reply.redirect('/login', 303);
    const { current, password, repeat } = request.body;
    if (password.length < 8) return show(request, reply, caller, { password: 'At least 8 characters.' }, null, 400);
    if (password !== repeat) return show(request, reply, caller, { repeat: 'The two new passwords differ.' }, null, 400);
    // Prepared while this session's token is still good: the change revokes it with all the others.
    const successor = await core.credentials.successorOf(session).catch(() => null);
    if (!successor) return reply.redirect('/login', 303);
    try {
      await core.lifecycle.changeOwnPassword(caller, current, password);
    } catch (err) {
      if (err instanceof GatehouseError && (err.field === 'current' || err.field === 'password')) {
        const text = err.field === 'current' ? 'This is not your current password.' : err.message.replace(/^password: /, '').replace(/^./, (c) => c.toUpperCase()) + '.';
        return show(request, reply, caller, { [err.field]: text }, null, 400);
      }
      if (err instanceof GatehouseError && err.code === 'forbidden') return show(request, reply, caller, { current: `${err.message.replace(/^./, (c) => c.toUpperCase())}.` }, null, 429);
      throw err;
    }
    // Every JWT of the account was just revoked, this session's too: it goes on under a new token.
    const renewed = await successor();
    setCookie(request, reply, SESSION, renewed.token, { expires: new Date(renewed.expiresAt) });
    return show(request, reply, caller, {}, { kind: 'ok', text: 'Your password is changed. Your other sessions have ended; this one goes on.' }, 200);
  });
};
