/**
 * The console's admin audit trail (core/changes, `changes.read`): who changed what in the operator's
 * reach, done or refused, newest first, with filters (tenant, actor, action, object, outcome, days)
 * and paging; the same filters download as JSON lines (/console/audit/export). A filter that does not
 * parse says so on the page, above the form it came from.
 */
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { CHANGE_OUTCOMES, type Change, type ChangeQuery } from '../../core/changes/changes.js';
import type { Core } from '../../core/core.js';
import { operator } from './console-auth.js';
import { html, when } from './html.js';

const PAGE_SIZE = 50;
const DAY_MS = 86_400_000;
const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }));
// Loose on purpose: what does not parse is shown as a notice on the page, with the form kept.
const AuditQuery = Type.Object(
  { tenant: Text(34), actor: Text(12), action: Text(200), objectType: Text(60), objectId: Text(200), outcome: Text(10), from: Text(10), until: Text(10), before: Text(12) },
  { additionalProperties: false },
);
type AuditQuery = (typeof AuditQuery)['static'];

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The core query of the page's filters, or the first filter that does not parse. */
function filtersOf(q: AuditQuery): { query: Omit<ChangeQuery, 'limit' | 'before'>; before?: number } | { field: string; message: string } {
  const tenant = q.tenant?.trim();
  if (tenant && !/^([0-9]{1,10}|AC[0-9a-f]{32})$/.test(tenant)) return { field: 'tenant', message: 'Tenant: a tenant id or SID (AC…).' };
  const actor = q.actor?.trim();
  if (actor && !/^[1-9][0-9]{0,9}$/.test(actor)) return { field: 'actor', message: 'Account: an account id (a number).' };
  if (q.outcome && !(CHANGE_OUTCOMES as readonly string[]).includes(q.outcome)) return { field: 'outcome', message: 'Outcome: done or refused.' };
  for (const f of ['from', 'until'] as const) if (q[f] && (!DAY.test(q[f]!) || Number.isNaN(Date.parse(`${q[f]}T00:00:00Z`)))) return { field: f, message: `${f === 'from' ? 'From' : 'Until'}: a day, such as 2026-12-06.` };
  if (q.before && !/^[1-9][0-9]{0,11}$/.test(q.before)) return { field: 'before', message: 'That page does not exist: start from the newest.' };
  return {
    query: {
      tenant: tenant || undefined,
      actorAccountId: actor ? Number(actor) : undefined,
      action: q.action?.trim() || undefined,
      objectType: q.objectType?.trim() || undefined,
      objectId: q.objectId?.trim() || undefined,
      outcome: (q.outcome || undefined) as ChangeQuery['outcome'],
      since: q.from ? Date.parse(`${q.from}T00:00:00Z`) : undefined,
      until: q.until ? Date.parse(`${q.until}T00:00:00Z`) + DAY_MS : undefined,
    },
    before: q.before ? Number(q.before) : undefined,
  };
}

const who = (c: Change) =>
  c.actor.accountId !== null ? `${c.actor.role} #${c.actor.accountId}` : c.actor.tenantId !== null ? `${c.actor.role} (tenant #${c.actor.tenantId})` : c.actor.role;

export const consoleAudit: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/console/audit', { schema: { hide: true, querystring: AuditQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const q = request.query;
    const parsed = filtersOf(q);
    const bad = 'field' in parsed ? parsed : null;
    const rows = 'query' in parsed ? await core.changeLog.list(op.caller, { ...parsed.query, limit: PAGE_SIZE, before: parsed.before }) : [];
    const kept = Object.entries(q).filter(([k, v]) => k !== 'before' && v) as [string, string][];
    const params = (extra: Record<string, string> = {}) => new URLSearchParams([...kept, ...Object.entries(extra)]).toString();
    const input = (name: keyof AuditQuery, label: string, placeholder = '', type = 'text') =>
      html`<div><label for="audit-${name}">${label}</label><input id="audit-${name}" name="${name}" type="${type}" value="${q[name] ?? ''}" placeholder="${placeholder}"${bad?.field === name ? html` aria-invalid="true"` : ''}>${bad?.field === name ? html`<p class="field-error" id="audit-${name}-error">${bad.message}</p>` : ''}</div>`;
    const list = rows.map(
      (c) => html`<tr><td>${when(c.at)}</td><td class="wrap">${who(c)}<br><span class="muted">${c.surface} · ${c.clientAddress ?? ''}</span></td><td class="wrap">${c.action}</td>
<td class="wrap">${c.object ? `${c.object.type} ${c.object.id ?? ''}` : ''}</td><td><span class="badge ${c.outcome === 'done' ? 'good' : 'bad'}">${c.outcome === 'done' ? 'done' : `refused: ${c.errorCode ?? c.status}`}</span></td>
<td class="wrap muted">${Object.entries(c.detail).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`).join(' · ')}</td></tr>`,
    );
    return op.send(bad ? 400 : 200, 'Audit trail', '/console/audit', html`
<section class="card"><p class="muted">Every change made in your reach through the API, this console and the command line, done or refused. Sign-ins, code sends and reads are not here (see the documentation's "Audit trail").</p>
<form method="get" action="/console/audit" id="audit-filters"><div class="row">
${input('tenant', 'Tenant', 'id or AC…')}${input('actor', 'Account', 'id')}${input('action', 'Action', 'POST /admin/tenants')}
${input('objectType', 'Object type', 'accounts')}${input('objectId', 'Object id')}
<div><label for="audit-outcome">Outcome</label><select id="audit-outcome" name="outcome">${['', ...CHANGE_OUTCOMES].map((o) => html`<option value="${o}" ${o === (q.outcome ?? '') ? html`selected` : ''}>${o || 'any'}</option>`)}</select></div>
${input('from', 'From (UTC day)', '', 'date')}${input('until', 'Until', '', 'date')}
<button type="submit">Search</button></div></form></section>
<section class="card">${rows.length
      ? html`<div class="table scroll"><table id="audit"><thead><tr><th>When</th><th>Who</th><th>Action</th><th>Object</th><th>Outcome</th><th>Detail</th></tr></thead><tbody>${list}</tbody></table></div>`
      : html`<p class="muted" id="audit-empty">${bad ? 'Correct the filter above.' : 'No changes match.'}</p>`}
<p>${rows.length === PAGE_SIZE ? html`<a href="/console/audit?${params({ before: String(rows[rows.length - 1]!.id) })}" id="audit-older">older →</a> · ` : ''}${bad ? '' : html`<a href="/console/audit/export?${params()}" id="audit-export" download>Download as JSON lines</a>`}</p></section>`,
      bad ? { kind: 'error', text: bad.message } : null);
  });

  app.get('/console/audit/export', { schema: { hide: true, querystring: AuditQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const parsed = filtersOf(request.query);
    if (!('query' in parsed)) return reply.redirect(`/console/audit?${new URLSearchParams(Object.entries(request.query).filter(([, v]) => v) as [string, string][])}`, 303);
    const query = parsed.query;
    // The first page before answering: a tenant out of reach is the error page, not a cut download.
    const first = await core.changeLog.list(op.caller, { ...query, limit: 500 });
    async function* lines() {
      const line = (c: Change) => `${JSON.stringify({ ...c, at: undefined, time: new Date(c.at).toISOString() })}\n`;
      for (const c of first) yield line(c);
      if (first.length < 500) return;
      for await (const c of core.changeLog.exportAll(op!.caller, { ...query, before: first[first.length - 1]!.id })) yield line(c);
    }
    return reply
      .type('application/x-ndjson; charset=utf-8')
      .header('content-disposition', 'attachment; filename="gatehouse-changes.jsonl"')
      .header('cache-control', 'no-store')
      .send(Readable.from(lines()));
  });
};
