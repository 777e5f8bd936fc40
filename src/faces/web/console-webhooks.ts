/**
 * The console's webhooks (capability webhooks.manage): a tenant's webhooks with a form to register
 * one (its signing secret shown once, on the answer to the form), a webhook's recent deliveries with
 * a resend button each, and its deletion through the confirmation page (confirm.ts).
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import { EVENT_TYPES } from '../../core/events/catalogue.js';
import type { Webhook } from '../../core/events/webhooks.js';
import { GatehouseError } from '../../core/errors.js';
import { ConfirmField, confirmBody, confirmLink } from './confirm.js';
import { type Operator, operator } from './console-auth.js';
import { type Html, type Notice, csrfField, html, when } from './html.js';

const Csrf = Type.String({ maxLength: 100 });
const Sid = Type.String({ pattern: '^AC[0-9a-f]{32}$' });
const OptionalSid = Type.Optional(Type.Union([Sid, Type.Literal('')]));
const WebhookParams = Type.Object({ id: Type.String({ pattern: '^wh_[0-9a-f]{32}$' }) });
const ResendParams = Type.Object({ id: Type.String({ pattern: '^wh_[0-9a-f]{32}$' }), delivery: Type.String({ pattern: '^msg_[0-9a-f]{32}$' }) });
const EventChoice = Type.Union(EVENT_TYPES.map((e) => Type.Literal(e)));
const NewWebhookForm = Type.Object(
  {
    _csrf: Csrf,
    tenant: OptionalSid,
    url: Type.String({ minLength: 1, maxLength: 2000 }),
    description: Type.Optional(Type.String({ maxLength: 200 })),
    // One checkbox posts a string, several an array.
    events: Type.Optional(Type.Union([EventChoice, Type.Array(EventChoice, { maxItems: EVENT_TYPES.length })])),
  },
  { additionalProperties: false },
);
const Plain = Type.Object({ _csrf: Csrf }, { additionalProperties: false });
const DeleteForm = Type.Object({ _csrf: Csrf, confirm: ConfirmField }, { additionalProperties: false });

const TAB = '/console/webhooks';

export const consoleWebhooks: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  async function listPage(op: Operator, tenantSid: string | undefined, notice: Notice | null = null, extra: Html | string = '', status = 200) {
    const tenants = await core.tenants.list(op.caller);
    const tenant = tenantSid || op.caller.tenantSid;
    const hooks = await core.webhooks.list(op.caller, tenant);
    const row = (w: Webhook) => html`<div class="item" id="webhook-${w.id}"><h3 class="wrap">${w.url}</h3>
<p class="muted"><span class="sid">${w.id}</span> · ${w.events.length ? w.events.join(', ') : 'every event'}${w.description ? html` · ${w.description}` : ''} · created ${when(w.createdAt)}</p>
<div class="actions"><a class="button small secondary" href="/console/webhooks/${w.id}">Deliveries</a> ${confirmLink(`/console/webhooks/${w.id}/delete`, 'Delete')}</div></div>`;
    return op.send(status, 'Webhooks', TAB, html`${extra}
<section class="card"><form method="get" action="/console/webhooks" class="row"><div><label for="tenant">Tenant</label><select id="tenant" name="tenant">
${tenants.map((t) => html`<option value="${t.sid}" ${tenant === t.sid ? html`selected` : ''}>${t.name} (#${t.id})</option>`)}</select></div><button class="secondary">Show</button></form></section>
<section class="card"><h2>Webhooks</h2><p class="muted">Events are posted as Standard Webhooks, signed with each webhook's secret (docs/delivery.md, "Events").</p>${hooks.length
      ? html`<div id="webhooks">${hooks.map(row)}</div>`
      : html`<p class="muted">No webhooks for this tenant.</p>`}</section>
<section class="card"><h2>New webhook</h2><form method="post" action="/console/webhooks">${csrfField(op.csrf)}<input type="hidden" name="tenant" value="${tenant}">
<label for="webhook-url">URL (https)</label><input id="webhook-url" name="url" inputmode="url" required maxlength="2000" placeholder="https://example.com/gatehouse-events">
<label for="webhook-description">Description</label><input id="webhook-description" name="description" maxlength="200">
<fieldset><legend>Events (none ticked: every event)</legend>${EVENT_TYPES.map((e) => html`<label class="check"><input type="checkbox" name="events" value="${e}"> ${e}</label>`)}</fieldset>
<button type="submit">Register</button></form></section>`, notice);
  }

  async function deliveriesPage(op: Operator, id: string, notice: Notice | null = null, status = 200) {
    const hook = await core.webhooks.get(op.caller, id);
    const list = await core.webhooks.deliveries(op.caller, id, { limit: 100 });
    const rows = list.map((d) => html`<tr id="delivery-${d.id}"><td>${when(d.createdAt)}</td><td>${d.event}</td>
<td><span class="badge ${d.status === 'delivered' ? 'good' : d.status === 'failed' ? 'bad' : ''}">${d.status}</span></td><td>${d.attempts}</td><td>${d.lastStatus ?? '—'}</td><td class="wrap">${d.lastError ?? ''}</td>
<td>${d.status === 'pending' ? when(d.nextAttemptAt) : when(d.deliveredAt)}</td>
<td><form method="post" action="/console/webhooks/${hook.id}/deliveries/${d.id}/resend">${csrfField(op.csrf)}<button class="small secondary">Resend</button></form></td></tr>`);
    return op.send(status, 'Webhook deliveries', TAB, html`
<p class="muted"><span class="wrap">${hook.url}</span> · <span class="sid">${hook.id}</span> · <a href="/console/webhooks">all webhooks</a></p>
<section class="card"><h2>Recent deliveries</h2>${list.length
      ? html`<div class="table scroll"><table id="deliveries"><thead><tr><th>Raised</th><th>Event</th><th>Status</th><th>Tries</th><th>HTTP</th><th>Error</th><th>Next / delivered</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`
      : html`<p class="muted">Nothing delivered yet.</p>`}</section>`, notice);
  }

  app.get('/console/webhooks', { schema: { hide: true, querystring: Type.Object({ tenant: OptionalSid }, { additionalProperties: false }) } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? listPage(op, request.query.tenant) : reply;
  });

  app.post('/console/webhooks', { schema: { hide: true, body: NewWebhookForm } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const b = request.body;
    const tenant = b.tenant || op.caller.tenantSid;
    const events = b.events === undefined ? [] : Array.isArray(b.events) ? b.events : [b.events];
    try {
      const { webhook, secret } = await core.webhooks.register(op.caller, tenant, { url: b.url, events, description: b.description || null });
      // The secret is on this answer only: it is sealed at rest and no page or list shows it again.
      return listPage(op, tenant, { kind: 'ok', text: `Registered ${webhook.url}.` }, html`<section class="card" id="created-webhook"><h2>Signing secret</h2>
<p>Keep it now: it is shown only this once. Receivers verify each delivery with it (any Standard Webhooks library).</p><p class="secret">${secret}</p></section>`);
    } catch (err) {
      if (err instanceof GatehouseError && err.code !== 'internal' && err.code !== 'forbidden') return listPage(op, tenant, { kind: 'error', text: err.message }, '', 400);
      throw err;
    }
  });

  app.get('/console/webhooks/:id', { schema: { hide: true, params: WebhookParams } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? deliveriesPage(op, request.params.id) : reply;
  });

  app.post('/console/webhooks/:id/deliveries/:delivery/resend', { schema: { hide: true, params: ResendParams, body: Plain } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    try {
      await core.webhooks.resend(op.caller, request.params.id, request.params.delivery);
      return deliveriesPage(op, request.params.id, { kind: 'ok', text: `Delivery ${request.params.delivery} is queued again.` });
    } catch (err) {
      if (err instanceof GatehouseError && err.code === 'conflict') return deliveriesPage(op, request.params.id, { kind: 'error', text: err.message }, 409);
      throw err;
    }
  });

  const deleteQuestion = async (op: Operator, id: string) => {
    const hook = await core.webhooks.get(op.caller, id);
    return op.send(200, 'Delete webhook', TAB, confirmBody({
      question: html`Delete the webhook to <strong class="wrap">${hook.url}</strong>? Its deliveries are forgotten and the pending ones are never posted.`,
      action: `/console/webhooks/${hook.id}/delete`,
      button: 'Delete webhook',
      cancel: '/console/webhooks',
      csrf: op.csrf,
    }));
  };

  app.get('/console/webhooks/:id/delete', { schema: { hide: true, params: WebhookParams } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? deleteQuestion(op, request.params.id) : reply;
  });

  app.post('/console/webhooks/:id/delete', { schema: { hide: true, params: WebhookParams, body: DeleteForm } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    if (request.body.confirm !== 'yes') return deleteQuestion(op, request.params.id);
    const hook = await core.webhooks.get(op.caller, request.params.id);
    await core.webhooks.remove(op.caller, hook.id);
    const tenant = (await core.tenants.get(op.caller, hook.tenantId)).sid;
    return listPage(op, tenant, { kind: 'ok', text: `Deleted the webhook to ${hook.url}.` });
  });
};
