/**
 * The console's Delivery tab: the delivery queue of the operator's tenant (and its sub-accounts) —
 * how many jobs wait, are being delivered, ended — the jobs waiting, the latest that ended, and, for a
 * request ID, every delivery attempt of every channel. Read-only; nothing here shows a code.
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import type { JobView } from '../../core/verifications/delivery-view.js';
import { operator } from './console-auth.js';
import { html, when } from './html.js';

const DeliveryQuery = Type.Object(
  {
    tenant: Type.Optional(Type.Union([Type.String({ pattern: '^AC[0-9a-f]{32}$' }), Type.Literal('')])),
    request: Type.Optional(Type.Union([Type.String({ pattern: '^OTP[0-9a-f]{32}$' }), Type.Literal('')])),
  },
  { additionalProperties: false },
);

export const consoleDelivery: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/console/delivery', { schema: { hide: true, querystring: DeliveryQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const q = request.query;
    const tenant = q.tenant || undefined;
    const view = await core.delivery.overview(op.caller, tenant);
    const record = q.request ? await core.records.get(op.caller, q.request, tenant, true) : null;
    const link = (j: JobView) => (j.kind === 'code' ? html`<a href="/console/delivery?request=${j.ref}${tenant ? `&tenant=${tenant}` : ''}" class="sid">${j.ref}</a>` : html`<span class="sid">${j.ref}</span>`);
    const rows = (jobs: JobView[], id: string) =>
      jobs.length
        ? html`<div class="table scroll"><table id="${id}"><thead><tr><th>Job</th><th>Kind</th><th>State</th><th>Channel #</th><th>Tries</th><th>Due</th><th>Last error</th><th>Created</th></tr></thead>
<tbody>${jobs.map((j) => html`<tr><td>${link(j)}</td><td>${j.kind}</td><td><span class="badge ${j.state === 'done' ? 'good' : j.state === 'failed' ? 'bad' : ''}">${j.state}</span></td><td>${j.stage + 1}</td><td>${j.attempts}</td><td>${when(j.runAt)}</td><td class="wrap">${j.lastError ?? ''}</td><td>${when(j.createdAt)}</td></tr>`)}</tbody></table></div>`
        : html`<p class="muted">None.</p>`;
    const count = (state: string) => view.counts[state] ?? 0;
    return op.send(200, 'Delivery', '/console/delivery', html`
<section class="card"><form method="get" action="/console/delivery" class="row">
<div><label for="request">Request id</label><input id="request" name="request" value="${q.request ?? ''}" placeholder="OTP…"></div>
<input type="hidden" name="tenant" value="${tenant ?? ''}"><button class="secondary">Show its attempts</button></form></section>
${record
  ? html`<section class="card"><h2>Attempts of <span class="sid">${record.requestId}</span></h2><p class="muted">${record.channel} to ${record.to} · ${record.status} · delivery ${record.deliveryStatus}</p>
<div class="table"><table id="delivery-attempts"><thead><tr><th>When</th><th>Channel</th><th>Provider</th><th>Provider id</th><th>Status</th><th>Error</th></tr></thead>
<tbody>${record.deliveryAttempts.map((a) => html`<tr><td>${when(a.time)}</td><td>${a.channel}</td><td>${a.provider}</td><td class="sid">${a.providerId ?? '—'}</td><td>${a.status}</td><td class="wrap">${a.error ?? ''}</td></tr>`)}</tbody></table></div></section>`
  : ''}
<section class="card"><h2>Queue</h2><p id="queue-counts">${count('queued')} queued · ${count('running')} being delivered · ${count('done')} delivered · ${count('failed')} failed · ${count('canceled')} canceled · oldest waiting ${Math.round(view.oldestAgeMs / 1000)} s</p>
${rows(view.live, 'queue-live')}</section>
<section class="card"><h2>Latest ended</h2>${rows(view.ended, 'queue-ended')}</section>`);
  });
};
