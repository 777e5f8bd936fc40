/**
 * The console's Smart 2FA side: named limits (a bucket editor; create, change, delete after asking),
 * send records (search with filters, one record with its events), usage over time as a chart, and the
 * development outbox. Records and usage cover every tenant in the operator's reach unless one is
 * picked; limits belong to one tenant, the operator's own unless one is picked. A tenant in the
 * address may be its SID or its number; one out of reach is said on the page, not as an error.
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/core.js';
import type { Limit } from '../../core/limits/limits.js';
import type { Tenant } from '../../core/tenants/tenants.js';
import { usageChart } from './chart.js';
import { ConfirmField, confirmBody, confirmLink } from './confirm.js';
import { type Operator, operator } from './console-auth.js';
import { type FieldErrors, fieldErrors, otherProblems, problem, refusedNotice, filterDay } from './form-errors.js';
import { type Html, type Notice, csrfField, html, when } from './html.js';

const Csrf = Type.String({ maxLength: 100 });
/** A tenant as the address names it: its SID or its number (resolved by the page, which says when it is not in reach). */
const TenantRef = Type.Optional(Type.String({ maxLength: 40 }));
const Day = Type.Optional(Type.String({ maxLength: 20 }));
const TenantQuery = Type.Object({ tenant: TenantRef });
const LimitSidParams = Type.Object({ sid: Type.String({ pattern: '^LM[0-9a-f]{32}$' }) });

/** The bucket editor's rows: name, max, every and unit per row (the core's limit of ten buckets). */
const MAX_ROWS = 10;
const UNITS = { s: ['seconds', 1], m: ['minutes', 60], h: ['hours', 3600], d: ['days', 86400] } as const;
type Unit = keyof typeof UNITS;
const bucketFields: Record<string, ReturnType<typeof Type.Optional>> = {};
for (let i = 0; i < MAX_ROWS; i++) {
  bucketFields[`bucket_name_${i}`] = Type.Optional(Type.String({ maxLength: 200 }));
  bucketFields[`bucket_max_${i}`] = Type.Optional(Type.String({ maxLength: 20 }));
  bucketFields[`bucket_every_${i}`] = Type.Optional(Type.String({ maxLength: 20 }));
  bucketFields[`bucket_unit_${i}`] = Type.Optional(Type.String({ maxLength: 2 }));
}
const LimitForm = Type.Object(
  { _csrf: Csrf, tenant: TenantRef, name: Type.Optional(Type.String({ maxLength: 200 })), description: Type.Optional(Type.String({ maxLength: 1000 })), ...bucketFields },
  { additionalProperties: false },
);
type LimitForm = Record<string, string | undefined>;
const Confirmed = Type.Object({ _csrf: Csrf, confirm: ConfirmField }, { additionalProperties: false });
// Filters are strings the page checks (a bad one is said beside the form, the rest still applies).
const SdrQuery = Type.Object({
  tenant: TenantRef,
  to: Type.Optional(Type.String({ maxLength: 320 })),
  channel: Type.Optional(Type.String({ maxLength: 20 })),
  status: Type.Optional(Type.String({ maxLength: 20 })),
  service: Type.Optional(Type.String({ maxLength: 100 })),
  from: Day,
  until: Day,
  page: Type.Optional(Type.String({ maxLength: 10 })),
});
const SdrParams = Type.Object({ requestId: Type.String({ pattern: '^OTP[0-9a-f]{32}$' }) });
const UsageQuery = Type.Object({ tenant: TenantRef, days: Type.Optional(Type.String({ maxLength: 10 })) });
const OutboxQuery = Type.Object({ to: Type.Optional(Type.String({ maxLength: 320 })) });

const PAGE_SIZE = 25;
const DAY_MS = 86_400_000;
const CHANNELS = ['', 'sms', 'call', 'email'];
const STATUSES = ['', 'pending', 'verified', 'canceled', 'expired', 'failed'];

interface BucketRow {
  name: string;
  max: string;
  every: string;
  unit: Unit;
}

/** A stored bucket list as editor rows, each interval in the largest unit that divides it. */
function rowsOf(buckets: string): BucketRow[] {
  try {
    const list = JSON.parse(buckets) as Array<{ name: string; max: string | number; interval: string | number }>;
    return list.map((b) => {
      const seconds = Number(b.interval);
      const unit = (['d', 'h', 'm'] as Unit[]).find((u) => seconds % UNITS[u][1] === 0) ?? 's';
      return { name: String(b.name), max: String(b.max), every: String(seconds / UNITS[unit][1]), unit };
    });
  } catch {
    return [];
  }
}

/** The rows typed into the form, as they were typed. */
function typedRows(body: LimitForm): BucketRow[] {
  return Array.from({ length: MAX_ROWS }, (_, i) => ({
    name: body[`bucket_name_${i}`] ?? '',
    max: body[`bucket_max_${i}`] ?? '',
    every: body[`bucket_every_${i}`] ?? '',
    unit: (body[`bucket_unit_${i}`] ?? 'h') in UNITS ? ((body[`bucket_unit_${i}`] ?? 'h') as Unit) : 'h',
  }));
}

/**
 * The typed rows as core's bucket list, blank rows left out; errors keyed by the row's fields. Core
 * checks the numbers again (parseBuckets); its field names (buckets[i].max) map back to the rows.
 */
function bucketsOf(rows: BucketRow[]): { buckets: Array<{ name: string; max: string; interval: string }>; index: number[]; errors: FieldErrors } {
  const buckets: Array<{ name: string; max: string; interval: string }> = [];
  const index: number[] = [];
  const errors: FieldErrors = {};
  rows.forEach((r, i) => {
    if (!r.name.trim() && !r.max.trim() && !r.every.trim()) return;
    if (!r.name.trim()) errors[`bucket_name_${i}`] = ['Name the bucket (for example "per recipient").'];
    if (!/^[1-9][0-9]{0,8}$/.test(r.max.trim())) errors[`bucket_max_${i}`] = ['A whole number of sends, 1 or more.'];
    if (!/^[1-9][0-9]{0,8}$/.test(r.every.trim())) errors[`bucket_every_${i}`] = ['A whole number, 1 or more.'];
    buckets.push({ name: r.name.trim(), max: r.max.trim(), interval: String(Number(r.every.trim()) * UNITS[r.unit][1]) });
    index.push(i);
  });
  if (!buckets.length && !Object.keys(errors).length) errors.bucket_name_0 = ['A limit needs at least one bucket.'];
  return { buckets, index, errors };
}

/** Core's refusal of a bucket (buckets[2].max) under that row's field. */
function rowErrors(errors: FieldErrors, index: number[]): FieldErrors {
  const out: FieldErrors = {};
  for (const [field, messages] of Object.entries(errors)) {
    const m = /^buckets\[(\d+)\](?:\.(name|max|interval))?$/.exec(field);
    const row = m ? index[Number(m[1])] : undefined;
    const key = m && row !== undefined ? `bucket_${m[2] === 'interval' ? 'every' : (m[2] ?? 'name')}_${row}` : field;
    out[key] = [...(out[key] ?? []), ...messages];
  }
  return out;
}

function bucketEditor(rows: BucketRow[], errors: FieldErrors | null): Html {
  // Rows enough for what is there and two more (up to ten): no script adds rows.
  const count = Math.min(MAX_ROWS, Math.max(3, rows.filter((r) => r.name || r.max || r.every).length + 2));
  const all = Array.from({ length: count }, (_, i) => rows[i] ?? { name: '', max: '', every: '', unit: 'h' as Unit });
  return html`<fieldset class="buckets"><legend>Buckets</legend><p class="muted help">Each bucket allows <em>max</em> sends every <em>interval</em>, counted per recipient; a send is refused once any bucket is empty. Leave a row empty to drop it.</p>
${all.map((r, i) => html`<div class="row bucket" id="bucket-${i}">
<div><label for="bucket_name_${i}">Bucket name</label><input id="bucket_name_${i}" name="bucket_name_${i}" maxlength="100" value="${r.name}" placeholder="${i === 0 ? 'per recipient' : ''}">${problem(errors, `bucket_name_${i}`)}</div>
<div><label for="bucket_max_${i}">Max sends</label><input id="bucket_max_${i}" name="bucket_max_${i}" inputmode="numeric" value="${r.max}">${problem(errors, `bucket_max_${i}`)}</div>
<div><label for="bucket_every_${i}">Every</label><input id="bucket_every_${i}" name="bucket_every_${i}" inputmode="numeric" value="${r.every}">${problem(errors, `bucket_every_${i}`)}</div>
<div><label for="bucket_unit_${i}">Unit</label><select id="bucket_unit_${i}" name="bucket_unit_${i}">${(Object.keys(UNITS) as Unit[]).map((u) => html`<option value="${u}" ${u === r.unit ? html`selected` : ''}>${UNITS[u][0]}</option>`)}</select></div>
</div>`)}</fieldset>`;
}

const describeBuckets = (buckets: string): string =>
  rowsOf(buckets).map((r) => `${r.name}: ${r.max} per ${r.every === '1' ? UNITS[r.unit][0].replace(/s$/, '') : `${r.every} ${UNITS[r.unit][0]}`}`).join(' · ');

export const consoleRecords: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  /**
   * The tenant the address names (SID or number) among those in reach; `problem` says why it was not
   * taken (then the page shows its default and says so).
   */
  async function pickTenant(op: Operator, ref: string | undefined): Promise<{ tenants: Tenant[]; tenant: Tenant | null; problem: string | null }> {
    const tenants = await core.tenants.list(op.caller);
    const wanted = ref?.trim();
    if (!wanted) return { tenants, tenant: null, problem: null };
    const tenant = tenants.find((t) => t.sid === wanted || String(t.id) === wanted) ?? null;
    return { tenants, tenant, problem: tenant ? null : `There is no tenant “${wanted}” in your reach (a tenant is named by its number or its SID, AC…).` };
  }

  /** The tenant picker of these pages; `every` adds "every tenant in reach" as the first choice. */
  function tenantPicker(tenants: Tenant[], selected: Tenant | null, every: boolean, own?: string): Html {
    return html`<div><label for="tenant">Tenant (with its sub-accounts)</label><select id="tenant" name="tenant">
${every ? html`<option value="" ${selected ? '' : html`selected`}>every tenant in reach</option>` : ''}
${tenants.map((t) => html`<option value="${t.sid}" ${(selected ? selected.sid === t.sid : !every && own === t.sid) ? html`selected` : ''}>${t.name} (#${t.id})</option>`)}</select></div>`;
  }

  interface LimitsView {
    notice?: Notice | null;
    errors?: FieldErrors | null;
    typed?: { name?: string; description?: string; rows?: BucketRow[] };
    status?: number;
  }

  async function limitsPage(op: Operator, ref: string | undefined, v: LimitsView = {}) {
    const picked = await pickTenant(op, ref);
    const tenant = picked.tenant;
    const { rows } = await core.limits.search(op.caller, { page: 0, pageSize: 100, accountSid: tenant?.sid, subAccounts: true, sortBy: 'dateCreated', direction: 'desc' });
    const list = rows.map((l) => html`<div class="item" id="limit-${l.sid}"><h3>${l.name}</h3>
<p class="buckets-summary">${describeBuckets(l.buckets)}</p>
<p class="muted">${l.description ? html`${l.description} · ` : ''}<span class="sid">${l.sid}</span> · changed ${when(l.updatedAt)}</p>
<div class="actions"><a class="button small secondary" href="/console/limits/${l.sid}">Edit</a>${confirmLink(`/console/limits/${l.sid}/delete`, 'Delete')}</div></div>`);
    const typed = v.typed ?? {};
    const notice = v.notice ?? (picked.problem ? { kind: 'error' as const, text: `${picked.problem} Showing your own tenant's limits.` } : null);
    return op.send(v.status ?? (picked.problem ? 404 : 200), 'Limits', '/console/limits', html`
<section class="card"><form method="get" action="/console/limits" class="row">${tenantPicker(picked.tenants, tenant, false, op.caller.tenantSid)}<button class="secondary">Show</button></form></section>
<section class="card"><h2>Limits</h2>${rows.length ? html`<div id="limits">${list}</div>` : html`<p class="muted">No limits for this tenant.</p>`}</section>
<section class="card"><h2>New limit</h2><p class="muted">A send that names a limit is refused once any of its buckets is empty.</p>
<form method="post" action="/console/limits" id="new-limit">${csrfField(op.csrf)}<input type="hidden" name="tenant" value="${tenant?.sid ?? ''}">
<div class="row"><div><label for="limit-name">Name</label><input id="limit-name" name="name" required maxlength="100" value="${typed.name ?? ''}">${problem(v.errors, 'name')}</div>
<div><label for="limit-description">Description</label><input id="limit-description" name="description" maxlength="500" value="${typed.description ?? ''}">${problem(v.errors, 'description')}</div></div>
${bucketEditor(typed.rows ?? [{ name: 'per recipient', max: '5', every: '1', unit: 'h' }], v.errors ?? null)}
${otherProblems(v.errors, ['name', 'description', ...Object.keys(v.errors ?? {}).filter((f) => f.startsWith('bucket_'))])}
<button type="submit">Create limit</button></form></section>`, notice);
  }

  async function limitPage(op: Operator, limit: Limit, v: LimitsView = {}) {
    const typed = v.typed ?? {};
    return op.send(v.status ?? 200, `Limit ${limit.name}`, '/console/limits', html`<p class="muted"><a href="/console/limits?tenant=${limit.targetAccountSid}">← all limits</a> · <span class="sid">${limit.sid}</span></p>
<section class="card"><form method="post" action="/console/limits/${limit.sid}/update" id="edit-limit">${csrfField(op.csrf)}
<label for="limit-description">Description</label><input id="limit-description" name="description" maxlength="500" value="${typed.description ?? limit.description ?? ''}">${problem(v.errors, 'description')}
${bucketEditor(typed.rows ?? rowsOf(limit.buckets), v.errors ?? null)}
${otherProblems(v.errors, ['description', ...Object.keys(v.errors ?? {}).filter((f) => f.startsWith('bucket_'))])}
<div class="actions"><button type="submit">Save</button> ${confirmLink(`/console/limits/${limit.sid}/delete`, 'Delete')}</div></form></section>`, v.notice ?? null);
  }

  app.get('/console/limits', { schema: { hide: true, querystring: TenantQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? limitsPage(op, request.query.tenant) : reply;
  });

  app.post('/console/limits', { schema: { hide: true, body: LimitForm } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const b = request.body as LimitForm;
    const rows = typedRows(b);
    const typed = { name: b.name, description: b.description, rows };
    const refuse = (errors: FieldErrors) => limitsPage(op, b.tenant, { notice: refusedNotice('The limit was not created', errors), errors, typed, status: 400 });
    const { buckets, index, errors } = bucketsOf(rows);
    if (!b.name?.trim()) errors.name = ['Give the limit a name; sends name it.'];
    if (Object.keys(errors).length) return refuse(errors);
    try {
      const limit = await core.limits.create(op.caller, { name: b.name!.trim(), buckets, description: b.description?.trim() || null, accountSid: b.tenant || null });
      return limitsPage(op, limit.targetAccountSid, { notice: { kind: 'ok', text: `Created limit ${limit.name}.` } });
    } catch (err) {
      const found = fieldErrors(err, 'name');
      if (!found) throw err;
      return refuse(rowErrors(found, index));
    }
  });

  app.get('/console/limits/:sid', { schema: { hide: true, params: LimitSidParams } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? limitPage(op, await core.limits.get(op.caller, request.params.sid)) : reply;
  });

  app.post('/console/limits/:sid/update', { schema: { hide: true, params: LimitSidParams, body: LimitForm } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const limit = await core.limits.get(op.caller, request.params.sid);
    const b = request.body as LimitForm;
    const rows = typedRows(b);
    const refuse = (errors: FieldErrors) => limitPage(op, limit, { notice: refusedNotice('The limit was not saved', errors), errors, typed: { description: b.description, rows }, status: 400 });
    const { buckets, index, errors } = bucketsOf(rows);
    if (Object.keys(errors).length) return refuse(errors);
    try {
      const saved = await core.limits.update(op.caller, limit.sid, { buckets, description: b.description?.trim() || null });
      return limitsPage(op, saved.targetAccountSid, { notice: { kind: 'ok', text: `Saved limit ${saved.name}.` } });
    } catch (err) {
      const found = fieldErrors(err, 'bucket_name_0');
      if (!found) throw err;
      return refuse(rowErrors(found, index));
    }
  });

  const askDelete = (op: Operator, limit: Limit) =>
    op.send(200, 'Delete limit?', '/console/limits', confirmBody({
      question: `Delete the limit ${limit.name} (${describeBuckets(limit.buckets)})? A send that names it is refused from then on (unknown limit) until one of that name is made again.`,
      action: `/console/limits/${limit.sid}/delete`,
      button: 'Delete limit',
      cancel: `/console/limits?tenant=${limit.targetAccountSid}`,
      csrf: op.csrf,
    }));

  app.get('/console/limits/:sid/delete', { schema: { hide: true, params: LimitSidParams } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    return op ? askDelete(op, await core.limits.get(op.caller, request.params.sid)) : reply;
  });

  app.post('/console/limits/:sid/delete', { schema: { hide: true, params: LimitSidParams, body: Confirmed } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const limit = await core.limits.get(op.caller, request.params.sid);
    if (request.body.confirm !== 'yes') return askDelete(op, limit);
    await core.limits.remove(op.caller, limit.sid);
    return limitsPage(op, limit.targetAccountSid, { notice: { kind: 'ok', text: `Deleted limit ${limit.name}.` } });
  });

  app.get('/console/sdr', { schema: { hide: true, querystring: SdrQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const q = request.query;
    const picked = await pickTenant(op, q.tenant);
    // Each filter is checked here: a bad one is said on the page and left out, the others still apply.
    const problems: string[] = picked.problem ? [`${picked.problem} Showing every tenant in reach.`] : [];
    const pick = (value: string | undefined, allowed: string[], label: string) => {
      if (!value || allowed.includes(value)) return value || undefined;
      problems.push(`“${value}” is not a ${label} (${allowed.filter(Boolean).join(', ')}).`);
      return undefined;
    };
    const day = (value: string | undefined, label: string) => filterDay(value, label, problems);
    const channel = pick(q.channel, CHANNELS, 'channel');
    const status = pick(q.status, STATUSES, 'status');
    const from = day(q.from, 'From');
    const until = day(q.until, 'Until');
    const page = q.page && /^[0-9]{1,5}$/.test(q.page) ? Number(q.page) : 0;
    const { rows, total } = await core.records.search(op.caller, {
      page,
      pageSize: PAGE_SIZE,
      accountSid: picked.tenant?.sid,
      subAccounts: true,
      everyTenant: true,
      to: q.to?.trim() || undefined,
      channel,
      status,
      service: q.service?.trim() || undefined,
      startTime: from,
      endTime: until === undefined ? undefined : until + DAY_MS - 1,
      sortBy: 'dateCreated',
      direction: 'desc',
    });
    const option = (value: string, current: string | undefined) => html`<option value="${value}" ${value === (current ?? '') ? html`selected` : ''}>${value || 'any'}</option>`;
    const pageLink = (p: number, label: string) => {
      const params = new URLSearchParams(Object.entries({ ...q, page: String(p) }).filter(([, v]) => v !== undefined && v !== '') as [string, string][]);
      return html`<a href="/console/sdr?${params.toString()}">${label}</a>`;
    };
    const tenantParam = picked.tenant ? `?tenant=${picked.tenant.sid}` : '';
    const list = rows.map((r) => html`<tr><td><a href="/console/sdr/${r.requestId}${tenantParam}">${when(r.createdAt)}</a></td><td class="wrap">${r.to}</td><td>${r.channel}</td><td>${r.service}</td>
<td><span class="badge ${r.status === 'verified' ? 'good' : r.status === 'pending' ? '' : 'bad'}">${r.status}</span></td><td>${r.deliveryStatus}</td><td>${r.attempts}</td></tr>`);
    const notice: Notice | null = problems.length ? { kind: 'error', text: problems.join(' ') } : null;
    return op.send(problems.length ? 400 : 200, 'Send records', '/console/sdr', html`
<section class="card"><form method="get" action="/console/sdr" id="sdr-search"><div class="row">${tenantPicker(picked.tenants, picked.tenant, true)}
<div><label for="to">To</label><input id="to" name="to" value="${q.to ?? ''}" placeholder="+14155550100 or a@b.c"></div>
<div><label for="channel">Channel</label><select id="channel" name="channel">${CHANNELS.map((v) => option(v, channel))}</select></div>
<div><label for="status">Status</label><select id="status" name="status">${STATUSES.map((v) => option(v, status))}</select></div>
<div><label for="service">Service</label><input id="service" name="service" value="${q.service ?? ''}"></div>
<div><label for="from">From (UTC day)</label><input id="from" name="from" type="date" value="${from === undefined ? '' : q.from}"></div>
<div><label for="until">Until</label><input id="until" name="until" type="date" value="${until === undefined ? '' : q.until}"></div>
<button type="submit">Search</button></div></form></section>
<section class="card"><p class="muted" id="sdr-total">${total} ${total === 1 ? 'record' : 'records'}${picked.tenant ? html` for ${picked.tenant.name}` : ' across every tenant in reach'}</p>${rows.length
      ? html`<div class="table scroll"><table id="sdr"><thead><tr><th>Sent</th><th>To</th><th>Channel</th><th>Service</th><th>Status</th><th>Delivery</th><th>Tries</th></tr></thead><tbody>${list}</tbody></table></div>`
      : ''}
<p>${page > 0 ? pageLink(page - 1, '← newer') : ''} ${(page + 1) * PAGE_SIZE < total ? pageLink(page + 1, 'older →') : ''}</p></section>`, notice);
  });

  app.get('/console/sdr/:requestId', { schema: { hide: true, params: SdrParams, querystring: TenantQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const picked = await pickTenant(op, request.query.tenant);
    const r = await core.records.get(op.caller, request.params.requestId, picked.tenant?.sid, true, true);
    const facts: Array<[string, Html | string | number]> = [
      ['Request id', html`<span class="sid">${r.requestId}</span>`], ['Tenant', html`<span class="sid">${r.accountSid}</span>`], ['Service', r.service], ['Channel', r.channel], ['To', r.to], ['Status', r.status],
      ['Code tries', r.attempts], ['Delivery', r.deliveryStatus], ['Provider', r.provider ?? '—'], ['Provider id', r.providerId ?? '—'],
      ['Delivery error', r.deliveryError ?? '—'], ['Sent', when(r.createdAt)], ['Expires', when(r.expiresAt)], ['Last change', when(r.updatedAt)],
    ];
    return op.send(200, 'Send record', '/console/sdr', html`<p><a href="/console/sdr${picked.tenant ? `?tenant=${picked.tenant.sid}` : ''}">← all records</a></p>
<section class="card"><div class="table"><table id="sdr-detail"><tbody>${facts.map(([k, v]) => html`<tr><th>${k}</th><td class="wrap">${v}</td></tr>`)}</tbody></table></div></section>
<section class="card"><h2>Events</h2><div class="table"><table id="sdr-events"><thead><tr><th>When</th><th>Event</th><th>Detail</th></tr></thead>
<tbody>${r.events.map((e) => html`<tr><td>${when(e.time)}</td><td>${e.type}</td><td class="wrap">${e.detail ?? ''}</td></tr>`)}</tbody></table></div></section>`);
  });

  app.get('/console/usage', { schema: { hide: true, querystring: UsageQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const picked = await pickTenant(op, request.query.tenant);
    const problems: string[] = picked.problem ? [`${picked.problem} Showing every tenant in reach.`] : [];
    const rawDays = request.query.days;
    const days = rawDays && /^[0-9]{1,3}$/.test(rawDays) && Number(rawDays) >= 1 && Number(rawDays) <= 366 ? Number(rawDays) : 30;
    if (rawDays && String(days) !== rawDays) problems.push(`“${rawDays}” is not a number of days from 1 to 366: showing 30.`);
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const startTime = today - (days - 1) * DAY_MS;
    const rows = await core.records.usage(op.caller, { startTime, endTime: today + DAY_MS - 1, accountSid: picked.tenant?.sid, subAccounts: true, everyTenant: true });
    const dayList = Array.from({ length: days }, (_, i) => new Date(startTime + i * DAY_MS).toISOString().slice(0, 10));
    const { svg, channels, totals } = usageChart(rows, dayList);
    const percent = (part: number, whole: number) => (whole ? `${Math.round((part / whole) * 1000) / 10}%` : '—');
    const byChannel = channels.map((c) => {
      const mine = rows.filter((r) => r.channel === c);
      const sends = mine.reduce((n, r) => n + r.count, 0);
      const verified = mine.filter((r) => r.status === 'verified').reduce((n, r) => n + r.count, 0);
      return { channel: c, sends, verified, rate: percent(verified, sends) };
    });
    const choices = [...new Set([7, 30, 90, 365, days])].sort((x, y) => x - y);
    return op.send(problems.length ? 400 : 200, 'Usage', '/console/usage', html`
<section class="card"><form method="get" action="/console/usage"><div class="row">${tenantPicker(picked.tenants, picked.tenant, true)}
<div><label for="days">Days</label><select id="days" name="days">${choices.map((d) => html`<option value="${d}" ${d === days ? html`selected` : ''}>last ${d} days</option>`)}</select></div>
<button class="secondary">Show</button></div></form></section>
<section class="card"><p><strong id="usage-sends">${totals.sends}</strong> ${totals.sends === 1 ? 'send' : 'sends'}, <strong>${totals.verified}</strong> verified (<strong id="usage-rate">${percent(totals.verified, totals.sends)}</strong>) in the last ${days} days${picked.tenant ? html` for ${picked.tenant.name}` : ', every tenant in reach'}.</p>
${svg}
<p class="legend">${channels.map((c, i) => html`<span><span class="sw c${i % 4}"></span>${c}</span>`)}<span><span class="sw rate"></span>share verified (line)</span></p>
${byChannel.length ? html`<div class="table"><table id="usage-channels"><thead><tr><th>Channel</th><th>Sends</th><th>Verified</th><th>Success rate</th></tr></thead><tbody>${byChannel.map((c) => html`<tr><td>${c.channel}</td><td>${c.sends}</td><td>${c.verified}</td><td>${c.rate}</td></tr>`)}</tbody></table></div>` : ''}</section>`, problems.length ? { kind: 'error', text: problems.join(' ') } : null);
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
