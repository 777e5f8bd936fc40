/**
 * The console's Smart 2FA side: named limits (create, change, delete), send records (search with
 * filters, one record with its events), usage over time as a chart, and the development outbox. Each
 * page acts for one tenant (its sub-accounts included), the operator's own by default.
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/core.js';
import { GatehouseError } from '../../core/errors.js';
import { usageChart } from './chart.js';
import { type Operator, operator } from './console-auth.js';
import { type Html, type Notice, csrfField, html, when } from './html.js';

const Csrf = Type.String({ maxLength: 100 });
const Sid = Type.String({ pattern: '^AC[0-9a-f]{32}$' });
const OptionalSid = Type.Optional(Type.Union([Sid, Type.Literal('')]));
const Day = Type.Optional(Type.Union([Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), Type.Literal('')]));
const TenantQuery = Type.Object({ tenant: OptionalSid }, { additionalProperties: false });
const LimitSidParams = Type.Object({ sid: Type.String({ pattern: '^LM[0-9a-f]{32}$' }) });
const LimitForm = Type.Object(
  {
    _csrf: Csrf,
    tenant: OptionalSid,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    buckets: Type.String({ minLength: 2, maxLength: 4000 }),
  },
  { additionalProperties: false },
);
const LimitUpdateForm = Type.Object({ _csrf: Csrf, description: Type.Optional(Type.String({ maxLength: 500 })), buckets: Type.String({ minLength: 2, maxLength: 4000 }) }, { additionalProperties: false });
/** Delete is a second button of the limit's form, so it posts that form's fields too (and ignores them). */
const LimitDeleteForm = Type.Object({ _csrf: Csrf, buckets: Type.Optional(Type.String({ maxLength: 4000 })), description: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });
const SdrQuery = Type.Object(
  {
    tenant: OptionalSid,
    to: Type.Optional(Type.String({ maxLength: 320 })),
    channel: Type.Optional(Type.Union([Type.Literal(''), Type.Literal('sms'), Type.Literal('call'), Type.Literal('email')])),
    status: Type.Optional(Type.Union([Type.Literal(''), Type.Literal('pending'), Type.Literal('verified'), Type.Literal('canceled'), Type.Literal('expired'), Type.Literal('failed')])),
    service: Type.Optional(Type.String({ maxLength: 100 })),
    from: Day,
    until: Day,
    page: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
  },
  { additionalProperties: false },
);
const SdrParams = Type.Object({ requestId: Type.String({ pattern: '^OTP[0-9a-f]{32}$' }) });
const UsageQuery = Type.Object({ tenant: OptionalSid, days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 })) }, { additionalProperties: false });
const OutboxQuery = Type.Object({ to: Type.Optional(Type.String({ maxLength: 320 })) }, { additionalProperties: false });

const PAGE_SIZE = 25;
const DAY_MS = 86_400_000;
const EXAMPLE_BUCKETS = '[{"name": "per recipient", "max": "5", "interval": "3600"}]';

export const consoleRecords: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  /** The tenant picker of these pages: every tenant the operator reaches. */
  async function tenantPicker(op: Operator, selected: string | undefined, attrs: { form?: string } = {}): Promise<Html> {
    const tenants = await core.tenants.list(op.caller);
    return html`<div><label for="tenant">Tenant (with its sub-accounts)</label><select id="tenant" name="tenant" ${attrs.form ? html`form="${attrs.form}"` : ''}>
${tenants.map((t) => html`<option value="${t.sid}" ${(selected || op.caller.tenantSid) === t.sid ? html`selected` : ''}>${t.name} (#${t.id})</option>`)}</select></div>`;
  }

  async function limitsPage(op: Operator, tenant: string | undefined, notice: Notice | null = null, status = 200) {
    const { rows } = await core.limits.search(op.caller, { page: 0, pageSize: 100, accountSid: tenant || undefined, subAccounts: true, sortBy: 'dateCreated', direction: 'desc' });
    const list = rows.map((l) => html`<div class="item" id="limit-${l.sid}"><h3>${l.name}</h3>
<p class="muted"><span class="sid">${l.sid}</span> · changed ${when(l.updatedAt)}</p>
<form method="post" action="/console/limits/${l.sid}/update">${csrfField(op.csrf)}
<label for="buckets-${l.sid}">Buckets</label><textarea id="buckets-${l.sid}" name="buckets" rows="2">${l.buckets}</textarea>
<label for="description-${l.sid}">Description</label><input id="description-${l.sid}" name="description" value="${l.description ?? ''}">
<div class="actions"><button class="small">Save</button>
<button class="small danger" formaction="/console/limits/${l.sid}/delete">Delete</button></div></form></div>`);
    return op.send(status, 'Limits', '/console/limits', html`
<section class="card"><form method="get" action="/console/limits" class="row">${await tenantPicker(op, tenant)}<button class="secondary">Show</button></form></section>
<section class="card"><h2>Limits</h2>${rows.length
      ? html`<div id="limits">${list}</div>`
      : html`<p class="muted">No limits for this tenant.</p>`}</section>
<section class="card"><h2>New limit</h2><p class="muted">A send naming a limit is refused once any of its buckets is empty: each bucket allows <em>max</em> sends per <em>interval</em> seconds.</p>
<form method="post" action="/console/limits">${csrfField(op.csrf)}<input type="hidden" name="tenant" value="${tenant ?? ''}">
<div class="row"><div><label for="limit-name">Name</label><input id="limit-name" name="name" required maxlength="100"></div>
<div><label for="limit-description">Description</label><input id="limit-description" name="description" maxlength="500"></div></div>
<label for="limit-buckets">Buckets (JSON)</label><textarea id="limit-buckets" name="buckets" rows="3" required>${EXAMPLE_BUCKETS}</textarea>
<button type="submit">Create limit</button></form></section>`, notice);
  }

  /** Runs a change and shows the limits page with its outcome; a refused change is a notice, not an error page. */
  async function limitChange(request: FastifyRequest, reply: FastifyReply, tenant: string | undefined, change: (op: Operator) => Promise<{ text: string; tenant: string }>) {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    try {
      const done = await change(op);
      return limitsPage(op, done.tenant, { kind: 'ok', text: done.text });
    } catch (err) {
      if (err instanceof GatehouseError && err.code !== 'internal') return limitsPage(op, tenant, { kind: 'error', text: err.message }, 400);
      throw err;
    }
  }

  app.get('/console/limits', { schema: { hide: true, querystring: TenantQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? limitsPage(op, request.query.tenant) : reply;
  });

  app.post('/console/limits', { schema: { hide: true, body: LimitForm } }, async (request, reply) => {
    const b = request.body;
    return limitChange(request, reply, b.tenant, async (op) => {
      const limit = await core.limits.create(op.caller, { name: b.name, buckets: b.buckets, description: b.description || null, accountSid: b.tenant || null });
      return { text: `Created limit ${limit.name}.`, tenant: limit.targetAccountSid };
    });
  });

  app.post('/console/limits/:sid/update', { schema: { hide: true, params: LimitSidParams, body: LimitUpdateForm } }, async (request, reply) =>
    limitChange(request, reply, undefined, async (op) => {
      const limit = await core.limits.update(op.caller, request.params.sid, { buckets: request.body.buckets, description: request.body.description || null });
      return { text: `Saved limit ${limit.name}.`, tenant: limit.targetAccountSid };
    }),
  );

  app.post('/console/limits/:sid/delete', { schema: { hide: true, params: LimitSidParams, body: LimitDeleteForm } }, async (request, reply) =>
    limitChange(request, reply, undefined, async (op) => {
      const limit = await core.limits.remove(op.caller, request.params.sid);
      return { text: `Deleted limit ${limit.name}.`, tenant: limit.targetAccountSid };
    }),
  );

  app.get('/console/sdr', { schema: { hide: true, querystring: SdrQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const q = request.query;
    const page = q.page ?? 0;
    const { rows, total } = await core.records.search(op.caller, {
      page,
      pageSize: PAGE_SIZE,
      accountSid: q.tenant || undefined,
      subAccounts: true,
      to: q.to?.trim() || undefined,
      channel: q.channel || undefined,
      status: q.status || undefined,
      service: q.service?.trim() || undefined,
      startTime: q.from ? Date.parse(`${q.from}T00:00:00Z`) : undefined,
      endTime: q.until ? Date.parse(`${q.until}T00:00:00Z`) + DAY_MS - 1 : undefined,
      sortBy: 'dateCreated',
      direction: 'desc',
    });
    const option = (value: string, current: string | undefined) => html`<option value="${value}" ${value === (current ?? '') ? html`selected` : ''}>${value || 'any'}</option>`;
    const pageLink = (p: number, label: string) => {
      const params = new URLSearchParams(Object.entries({ ...q, page: String(p) }).filter(([, v]) => v !== undefined && v !== '') as [string, string][]);
      return html`<a href="/console/sdr?${params.toString()}">${label}</a>`;
    };
    const list = rows.map((r) => html`<tr><td><a href="/console/sdr/${r.requestId}${q.tenant ? `?tenant=${q.tenant}` : ''}">${when(r.createdAt)}</a></td><td class="wrap">${r.to}</td><td>${r.channel}</td><td>${r.service}</td>
<td><span class="badge ${r.status === 'verified' ? 'good' : r.status === 'pending' ? '' : 'bad'}">${r.status}</span></td><td>${r.deliveryStatus}</td><td>${r.attempts}</td></tr>`);
    return op.send(200, 'Send records', '/console/sdr', html`
<section class="card"><form method="get" action="/console/sdr" id="sdr-search"><div class="row">${await tenantPicker(op, q.tenant)}
<div><label for="to">To</label><input id="to" name="to" value="${q.to ?? ''}" placeholder="+14155550100 or a@b.c"></div>
<div><label for="channel">Channel</label><select id="channel" name="channel">${['', 'sms', 'call', 'email'].map((v) => option(v, q.channel))}</select></div>
<div><label for="status">Status</label><select id="status" name="status">${['', 'pending', 'verified', 'canceled', 'expired', 'failed'].map((v) => option(v, q.status))}</select></div>
<div><label for="service">Service</label><input id="service" name="service" value="${q.service ?? ''}"></div>
<div><label for="from">From (UTC day)</label><input id="from" name="from" type="date" value="${q.from ?? ''}"></div>
<div><label for="until">Until</label><input id="until" name="until" type="date" value="${q.until ?? ''}"></div>
<button type="submit">Search</button></div></form></section>
<section class="card"><p class="muted" id="sdr-total">${total} ${total === 1 ? 'record' : 'records'}</p>${rows.length
      ? html`<div class="table scroll"><table id="sdr"><thead><tr><th>Sent</th><th>To</th><th>Channel</th><th>Service</th><th>Status</th><th>Delivery</th><th>Tries</th></tr></thead><tbody>${list}</tbody></table></div>`
      : ''}
<p>${page > 0 ? pageLink(page - 1, '← newer') : ''} ${(page + 1) * PAGE_SIZE < total ? pageLink(page + 1, 'older →') : ''}</p></section>`);
  });

  app.get('/console/sdr/:requestId', { schema: { hide: true, params: SdrParams, querystring: TenantQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const r = await core.records.get(op.caller, request.params.requestId, request.query.tenant || undefined, true);
    const facts: Array<[string, Html | string | number]> = [
      ['Request id', html`<span class="sid">${r.requestId}</span>`], ['Tenant', html`<span class="sid">${r.accountSid}</span>`], ['Service', r.service], ['Channel', r.channel], ['To', r.to], ['Status', r.status],
      ['Code tries', r.attempts], ['Delivery', r.deliveryStatus], ['Provider', r.provider ?? '—'], ['Provider id', r.providerId ?? '—'],
      ['Delivery error', r.deliveryError ?? '—'], ['Sent', when(r.createdAt)], ['Expires', when(r.expiresAt)], ['Last change', when(r.updatedAt)],
    ];
    return op.send(200, 'Send record', '/console/sdr', html`<p><a href="/console/sdr${request.query.tenant ? `?tenant=${request.query.tenant}` : ''}">← all records</a></p>
<section class="card"><div class="table"><table id="sdr-detail"><tbody>${facts.map(([k, v]) => html`<tr><th>${k}</th><td class="wrap">${v}</td></tr>`)}</tbody></table></div></section>
<section class="card"><h2>Events</h2><div class="table"><table id="sdr-events"><thead><tr><th>When</th><th>Event</th><th>Detail</th></tr></thead>
<tbody>${r.events.map((e) => html`<tr><td>${when(e.time)}</td><td>${e.type}</td><td class="wrap">${e.detail ?? ''}</td></tr>`)}</tbody></table></div></section>`);
  });

  app.get('/console/usage', { schema: { hide: true, querystring: UsageQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const days = request.query.days ?? 30;
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const startTime = today - (days - 1) * DAY_MS;
    const rows = await core.records.usage(op.caller, { startTime, endTime: today + DAY_MS - 1, accountSid: request.query.tenant || undefined, subAccounts: true });
    const dayList = Array.from({ length: days }, (_, i) => new Date(startTime + i * DAY_MS).toISOString().slice(0, 10));
    const { svg, channels, totals } = usageChart(rows, dayList);
    const percent = (part: number, whole: number) => (whole ? `${Math.round((part / whole) * 1000) / 10}%` : '—');
    const byChannel = channels.map((c) => {
      const mine = rows.filter((r) => r.channel === c);
      const sends = mine.reduce((n, r) => n + r.count, 0);
      const verified = mine.filter((r) => r.status === 'verified').reduce((n, r) => n + r.count, 0);
      return { channel: c, sends, verified, rate: percent(verified, sends) };
    });
    return op.send(200, 'Usage', '/console/usage', html`
<section class="card"><form method="get" action="/console/usage"><div class="row">${await tenantPicker(op, request.query.tenant)}
<div><label for="days">Days</label><select id="days" name="days">${[7, 30, 90, 365].map((d) => html`<option value="${d}" ${d === days ? html`selected` : ''}>last ${d} days</option>`)}</select></div>
<button class="secondary">Show</button></div></form></section>
<section class="card"><p><strong id="usage-sends">${totals.sends}</strong> ${totals.sends === 1 ? 'send' : 'sends'}, <strong>${totals.verified}</strong> verified (<strong id="usage-rate">${percent(totals.verified, totals.sends)}</strong>) in the last ${days} days.</p>
${svg}
<p class="legend">${channels.map((c, i) => html`<span><span class="sw c${i % 4}"></span>${c}</span>`)}<span><span class="sw rate"></span>share verified (line)</span></p>
${byChannel.length ? html`<div class="table"><table id="usage-channels"><thead><tr><th>Channel</th><th>Sends</th><th>Verified</th><th>Success rate</th></tr></thead><tbody>${byChannel.map((c) => html`<tr><td>${c.channel}</td><td>${c.sends}</td><td>${c.verified}</td><td>${c.rate}</td></tr>`)}</tbody></table></div>` : ''}</section>`);
  });

  app.get('/console/outbox', { schema: { hide: true, querystring: OutboxQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const messages = await core.outbox.list(op.caller, { to: request.query.to?.trim() || undefined, limit: 100 });
    return op.send(200, 'Development outbox', '/console/outbox', html`
<section class="card"><p class="muted">Every message sent through the outbox channel (no SMS, call or email provider configured), newest first.</p>
<form method="get" action="/console/outbox"><div class="row"><div><label for="outbox-to">To</label><input id="outbox-to" name="to" value="${request.query.to ?? ''}"></div><button class="secondary">Filter</button></div></form></section>
<section class="card">${messages.length
      ? html`<div class="table scroll"><table id="outbox"><thead><tr><th>When</th><th>Channel</th><th>To</th><th>Subject</th><th>Body</th></tr></thead><tbody>
${messages.map((m) => html`<tr><td>${when(m.createdAt)}</td><td>${m.channel}</td><td class="wrap">${m.to}</td><td>${m.subject ?? ''}</td><td class="wrap">${m.body}</td></tr>`)}</tbody></table></div>`
      : html`<p class="muted">No messages.</p>`}</section>`);
  });
};
