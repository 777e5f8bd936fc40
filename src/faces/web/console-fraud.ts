/**
 * The console's fraud-guard page: the destination prefixes blocked for a tenant (with the counts that
 * blocked them and when the block ends), lifting one (confirm.ts: its own page asks, only the
 * confirmed post acts), and the tenant's safe list of numbers. Capability codes.policy (core checks).
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/core.js';
import { GatehouseError } from '../../core/errors.js';
import { ConfirmField, confirmBody, confirmLink } from './confirm.js';
import { type Operator, operator } from './console-auth.js';
import { type Html, type Notice, csrfField, html, when } from './html.js';

const TAB = '/console/fraud';
const Csrf = Type.String({ maxLength: 100 });
const OptionalSid = Type.Optional(Type.Union([Type.String({ pattern: '^AC[0-9a-f]{32}$' }), Type.Literal('')]));
const Prefix = Type.String({ pattern: '^\\+[1-9][0-9]{0,2}-[0-9]{0,6}$', maxLength: 16 });
const TenantQuery = Type.Object({ tenant: OptionalSid }, { additionalProperties: false });
const LiftQuery = Type.Object({ tenant: OptionalSid, prefix: Prefix }, { additionalProperties: false });
const LiftForm = Type.Object({ _csrf: Csrf, confirm: ConfirmField }, { additionalProperties: false });
const SafeForm = Type.Object({ _csrf: Csrf, tenant: OptionalSid, numbers: Type.String({ maxLength: 20_000 }) }, { additionalProperties: false });

export const consoleFraud: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const target = (op: Operator, sid: string | undefined) => core.limits.target(op.caller, sid || undefined);
  const liftHref = (tenant: string, prefix: string) => `/console/fraud/lift?tenant=${encodeURIComponent(tenant)}&prefix=${encodeURIComponent(prefix)}`;

  async function fraudPage(op: Operator, sid: string | undefined, notice: Notice | null = null, status = 200) {
    const tenant = await target(op, sid);
    const [blocked, safe, tenants] = await Promise.all([core.fraud.blockedPrefixes(op.caller, tenant), core.fraud.safeList(op.caller, tenant), core.tenants.list(op.caller)]);
    const picker = html`<div><label for="tenant">Tenant</label><select id="tenant" name="tenant">
${tenants.map((t) => html`<option value="${t.sid}" ${t.sid === tenant.sid ? html`selected` : ''}>${t.name} (#${t.id})</option>`)}</select></div>`;
    const rows: Html[] = blocked.map((b) => html`<tr id="blocked-${b.prefix}"><td class="prefix">${b.prefix}</td><td>${when(b.blockedAt)}</td><td>${when(b.blockedUntil)}</td>
<td>${String(b.verified)} of ${String(b.sent)}</td><td>${confirmLink(liftHref(tenant.sid, b.prefix), 'Lift')}</td></tr>`);
    return op.send(status, 'Fraud guard', TAB, html`
<section class="card"><form method="get" action="${TAB}" class="row">${picker}<button class="secondary">Show</button></form></section>
<section class="card"><h2>Blocked prefixes</h2>
<p class="muted">A prefix (calling code and first national digits) is blocked when too few of the codes sent there are verified: SMS pumping. The block ends by itself, or when lifted here.</p>
${rows.length
      ? html`<table id="blocked"><thead><tr><th>Prefix</th><th>Blocked</th><th>Until</th><th>Verified</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
      : html`<p class="muted" id="blocked-none">No prefix is blocked for this tenant.</p>`}</section>
<section class="card"><h2>Safe list</h2><p class="muted">Numbers the conversion guard never blocks (premium-rate and invalid numbers stay refused). One E.164 number a line.</p>
<form method="post" action="/console/fraud/safe">${csrfField(op.csrf)}<input type="hidden" name="tenant" value="${tenant.sid}">
<label for="safe-numbers">Numbers</label><textarea id="safe-numbers" name="numbers" rows="4">${safe.join('\n')}</textarea>
<button type="submit">Save safe list</button></form></section>`, notice);
  }

  /** Runs a change and shows the page with its outcome; a refused change is a notice, not an error page. */
  async function change(request: FastifyRequest, reply: FastifyReply, sid: string | undefined, act: (op: Operator) => Promise<string>) {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    try {
      return fraudPage(op, sid, { kind: 'ok', text: await act(op) });
    } catch (err) {
      if (err instanceof GatehouseError && err.code !== 'internal') return fraudPage(op, sid, { kind: 'error', text: err.message }, 400);
      throw err;
    }
  }

  app.get(TAB, { schema: { hide: true, querystring: TenantQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? fraudPage(op, request.query.tenant) : reply;
  });

  // The question's form posts to its own page's address (tenant and prefix in the query), as confirm.ts asks.
  const liftQuestion = (op: Operator, tenant: string, prefix: string) =>
    op.send(200, 'Lift a blocked prefix', TAB, confirmBody({
      question: html`Lift the block on <strong>${prefix}</strong>? Codes go to its numbers again at once, and its conversion is measured afresh.`,
      action: liftHref(tenant, prefix),
      button: 'Lift block',
      cancel: `${TAB}?tenant=${encodeURIComponent(tenant)}`,
      csrf: op.csrf,
    }));

  app.get('/console/fraud/lift', { schema: { hide: true, querystring: LiftQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    return liftQuestion(op, (await target(op, request.query.tenant)).sid, request.query.prefix);
  });

  app.post('/console/fraud/lift', { schema: { hide: true, querystring: LiftQuery, body: LiftForm } }, async (request, reply) => {
    const q = request.query;
    if (request.body.confirm !== 'yes') {
      // Not confirmed (a stale form, a crafted post): nothing changes, the question is asked again.
      const op = await operator(core, request, reply);
      if (!op) return reply;
      return liftQuestion(op, (await target(op, q.tenant)).sid, q.prefix);
    }
    return change(request, reply, q.tenant, async (op) => {
      await core.fraud.lift(op.caller, await target(op, q.tenant), q.prefix);
      return `Lifted the block on ${q.prefix}.`;
    });
  });

  app.post('/console/fraud/safe', { schema: { hide: true, body: SafeForm } }, async (request, reply) => {
    const b = request.body;
    return change(request, reply, b.tenant, async (op) => {
      const numbers = b.numbers.split(/[\s,]+/).map((n) => n.trim()).filter(Boolean);
      const saved = await core.fraud.setSafeList(op.caller, await target(op, b.tenant), numbers);
      return `Saved the safe list (${saved.length} number${saved.length === 1 ? '' : 's'}).`;
    });
  });
};
