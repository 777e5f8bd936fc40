/**
 * The console's voice section: a site's phone lines with their routing (number, agents who ring,
 * greeting, ring time, what happens when nobody answers), the Twilio numbers it may use, and call
 * records with filters (line, agent, status, direction, days), one call with its events. Read
 * through the same core functions and capabilities as the voice API, so an operator sees what its
 * key reaches. Lines are changed through the API (docs/voice.md); the console shows them.
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Account } from '../../core/accounts/accounts.js';
import type { Core } from '../../core/core.js';
import { GatehouseError } from '../../core/errors.js';
import { can } from '../../core/roles.js';
import type { Tenant } from '../../core/tenants/tenants.js';
import { CALL_STATUSES } from '../../core/voice/calls.js';
import type { Fallback, Greeting, PhoneLine } from '../../core/voice/lines.js';
import { type Operator, operator } from './console-auth.js';
import { type Html, type Notice, html, when } from './html.js';
import { filterDay } from './form-errors.js';

const Ref = Type.Optional(Type.String({ maxLength: 40 }));
const SiteQuery = Type.Object({ site: Ref });
// Filters are strings the page checks: a bad one is said on the page and left out.
const CallsQuery = Type.Object({
  site: Ref,
  line: Ref,
  agent: Ref,
  status: Ref,
  direction: Ref,
  from: Ref,
  until: Ref,
  page: Ref,
});
const CallParams = Type.Object({ callSid: Type.String({ pattern: '^CA[0-9a-f]{32}$' }) });

const PAGE_SIZE = 25;
const DAY_MS = 86_400_000;
const DIRECTIONS = ['inbound', 'outbound'] as const;

const greetingText = (g: Greeting): string => (g.type === 'say' ? `says “${g.text}”` : g.type === 'play' ? `plays ${g.url}` : 'no greeting');
const fallbackText = (f: Fallback): string =>
  f.type === 'voicemail' ? `voicemail (up to ${f.maxLength} s)` : f.type === 'forward' ? `forwards to ${f.number}` : `says “${f.text}” and hangs up`;

export const consoleVoice: FastifyPluginAsync<{ core: Core }> = async (plain, { core }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const voice = core.voice;

  /** The site the address names (number or SID) among the tenants in reach; its own tenant when none is named. */
  async function pickSite(op: Operator, ref: string | undefined): Promise<{ tenants: Tenant[]; site: Tenant; problem: string | null }> {
    const tenants = await core.tenants.list(op.caller);
    const own = tenants.find((t) => t.id === op.caller.tenantId) ?? tenants[0]!;
    const wanted = ref?.trim();
    if (!wanted) return { tenants, site: own, problem: null };
    const site = tenants.find((t) => String(t.id) === wanted || t.sid === wanted);
    return site ? { tenants, site, problem: null } : { tenants, site: own, problem: `There is no site “${wanted}” in your reach; showing ${own.name}.` };
  }

  const sitePicker = (tenants: Tenant[], site: Tenant) =>
    html`<div><label for="site">Site</label><select id="site" name="site">${tenants.map((t) => html`<option value="${t.id}" ${t.id === site.id ? html`selected` : ''}>${t.name} (#${t.id})</option>`)}</select></div>`;

  /** People of a site by id, for naming the agents of lines and calls (those the operator may read). */
  async function peopleOf(op: Operator, site: Tenant): Promise<Map<number, Account>> {
    const list = await core.accounts.list(op.caller, site.id).catch(() => [] as Account[]);
    return new Map(list.map((a) => [a.id, a]));
  }
  const personName = (people: Map<number, Account>, id: number | null) => (id === null ? '—' : (people.get(id)?.email ?? `account #${id}`));

  /** What core refused (numbers need Twilio configured), said in the section instead of failing the page. */
  async function attempt<T>(work: () => Promise<T>): Promise<{ value: T | null; problem: string | null }> {
    try {
      return { value: await work(), problem: null };
    } catch (err) {
      if (err instanceof GatehouseError && err.code !== 'internal') return { value: null, problem: err.message };
      throw err;
    }
  }

  app.get('/console/voice', { schema: { hide: true, querystring: SiteQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const { tenants, site, problem } = await pickSite(op, request.query.site);
    const [lines, people, numbers] = await Promise.all([
      voice.lines.list(op.caller, site.id),
      peopleOf(op, site),
      can(op.caller, 'voice.numbers.read') ? attempt(() => voice.numbers.list(op.caller, site.id)) : Promise.resolve(null),
    ]);
    const lineItem = (l: PhoneLine) => html`<div class="item" id="line-${l.id}"><h3>${l.name}</h3>
<dl class="facts"><dt>Number</dt><dd>${l.phoneNumber}</dd>
<dt>Rings</dt><dd>${l.agentIds.length ? l.agentIds.map((id) => personName(people, id)).join(', ') : 'nobody'} for ${l.ringTimeout} s</dd>
<dt>Greeting</dt><dd>${greetingText(l.greeting)}</dd>
<dt>No answer</dt><dd>${fallbackText(l.fallback)}</dd></dl>
<p class="muted">#${l.id} · changed ${when(l.updatedAt)}${can(op.caller, 'voice.records.read') ? html` · <a href="/console/voice/calls?site=${site.id}&amp;line=${l.id}">calls on this line</a>` : ''}</p></div>`;
    const numbersBlock = numbers === null
      ? ''
      : html`<section class="card"><h2>Numbers</h2>${numbers.problem
          ? html`<p class="muted" id="numbers-problem">The numbers cannot be listed: ${numbers.problem}</p>`
          : numbers.value!.length
            ? html`<div class="table"><table id="numbers"><thead><tr><th>Number</th><th>Name</th><th>Line</th></tr></thead><tbody>${numbers.value!.map((n) => html`<tr><td>${n.phoneNumber}</td><td class="wrap">${n.friendlyName}</td><td>${n.lineName ?? (n.inUse ? 'in use' : 'free')}</td></tr>`)}</tbody></table></div>`
            : html`<p class="muted">No numbers for this site.</p>`}</section>`;
    const notice: Notice | null = problem ? { kind: 'error', text: problem } : null;
    return op.send(problem ? 404 : 200, 'Voice', '/console/voice', html`
<section class="card"><form method="get" action="/console/voice" class="row">${sitePicker(tenants, site)}<button class="secondary">Show</button></form>
${can(op.caller, 'voice.records.read') ? html`<p><a href="/console/voice/calls?site=${site.id}" id="calls-link">Call records of ${site.name} →</a></p>` : ''}</section>
<section class="card"><h2>Lines</h2>${lines.length ? html`<div id="lines">${lines.map(lineItem)}</div>` : html`<p class="muted" id="no-lines">No lines for ${site.name}. Lines are made through the voice API (docs/voice.md).</p>`}</section>
${numbersBlock}`, notice);
  });

  app.get('/console/voice/calls', { schema: { hide: true, querystring: CallsQuery } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const q = request.query;
    const { tenants, site, problem } = await pickSite(op, q.site);
    const problems: string[] = problem ? [problem] : [];
    const id = (value: string | undefined, label: string) => {
      if (!value) return undefined;
      if (/^[1-9][0-9]{0,14}$/.test(value)) return Number(value);
      problems.push(`“${value}” is not a ${label} number.`);
      return undefined;
    };
    const day = (value: string | undefined, label: string) => filterDay(value, label, problems);
    const lineId = id(q.line, 'line');
    const agentId = id(q.agent, 'agent');
    let status = q.status || undefined;
    if (status && !CALL_STATUSES.includes(status)) {
      problems.push(`“${status}” is not a call status (${CALL_STATUSES.join(', ')}).`);
      status = undefined;
    }
    let direction = q.direction || undefined;
    if (direction && !(DIRECTIONS as readonly string[]).includes(direction)) {
      problems.push(`“${direction}” is not a direction (inbound, outbound).`);
      direction = undefined;
    }
    const from = day(q.from, 'From');
    const until = day(q.until, 'Until');
    const page = q.page && /^[0-9]{1,5}$/.test(q.page) ? Number(q.page) : 0;
    const [{ rows, total }, lines, people] = await Promise.all([
      voice.calls.list(op.caller, {
        siteId: site.id,
        subAccounts: true,
        lineId,
        agentId,
        status,
        direction: direction as 'inbound' | 'outbound' | undefined,
        startTime: from,
        endTime: until === undefined ? undefined : until + DAY_MS - 1,
        page,
        pageSize: PAGE_SIZE,
        order: 'desc',
      }),
      can(op.caller, 'voice.lines.read') ? voice.lines.list(op.caller, site.id) : Promise.resolve([] as PhoneLine[]),
      peopleOf(op, site),
    ]);
    const option = (value: string, label: string, current: string | number | undefined) => html`<option value="${value}" ${value === String(current ?? '') ? html`selected` : ''}>${label}</option>`;
    const pageLink = (p: number, label: string) => {
      const params = new URLSearchParams(Object.entries({ ...q, site: String(site.id), page: String(p) }).filter(([, v]) => v !== undefined && v !== '') as [string, string][]);
      return html`<a href="/console/voice/calls?${params.toString()}">${label}</a>`;
    };
    const list = rows.map((c) => html`<tr><td><a href="/console/voice/calls/${c.callSid}">${when(c.startedAt)}</a></td><td>${c.direction}</td><td class="wrap">${c.from}</td><td class="wrap">${c.to}</td><td>${c.lineName ?? '—'}</td><td class="wrap">${personName(people, c.agentId)}</td>
<td><span class="badge ${c.status === 'completed' ? 'good' : c.status === 'in-progress' || c.status === 'ringing' ? '' : 'bad'}">${c.status}</span></td><td>${c.duration === null ? '—' : `${c.duration} s`}</td></tr>`);
    return op.send(problems.length ? 400 : 200, 'Call records', '/console/voice', html`<p class="muted"><a href="/console/voice?site=${site.id}">← lines of ${site.name}</a></p>
<section class="card"><form method="get" action="/console/voice/calls" id="call-search"><div class="row">${sitePicker(tenants, site)}
<div><label for="line">Line</label><select id="line" name="line">${option('', 'any', lineId)}${lines.map((l) => option(String(l.id), l.name, lineId))}</select></div>
<div><label for="agent">Agent</label><select id="agent" name="agent">${option('', 'any', agentId)}${[...people.values()].filter((a) => a.role !== 'sip').map((a) => option(String(a.id), a.email ?? `#${a.id}`, agentId))}</select></div>
<div><label for="status">Status</label><select id="status" name="status">${option('', 'any', status)}${CALL_STATUSES.map((s) => option(s, s, status))}</select></div>
<div><label for="direction">Direction</label><select id="direction" name="direction">${option('', 'any', direction)}${DIRECTIONS.map((d) => option(d, d, direction))}</select></div>
<div><label for="from">From (UTC day)</label><input id="from" name="from" type="date" value="${from === undefined ? '' : q.from}"></div>
<div><label for="until">Until</label><input id="until" name="until" type="date" value="${until === undefined ? '' : q.until}"></div>
<button type="submit">Search</button></div></form></section>
<section class="card"><p class="muted" id="calls-total">${total} ${total === 1 ? 'call' : 'calls'} for ${site.name} and its sub-accounts</p>${rows.length
      ? html`<div class="table scroll"><table id="calls"><thead><tr><th>Started</th><th>Direction</th><th>From</th><th>To</th><th>Line</th><th>Agent</th><th>Status</th><th>Duration</th></tr></thead><tbody>${list}</tbody></table></div>`
      : ''}
<p>${page > 0 ? pageLink(page - 1, '← newer') : ''} ${(page + 1) * PAGE_SIZE < total ? pageLink(page + 1, 'older →') : ''}</p></section>`, problems.length ? { kind: 'error', text: problems.join(' ') } : null);
  });

  app.get('/console/voice/calls/:callSid', { schema: { hide: true, params: CallParams } }, async (request, reply) => {
    const op = await operator(core, request, reply);
    if (!op) return reply;
    const c = await voice.calls.get(op.caller, request.params.callSid);
    const facts: Array<[string, Html | string | number]> = [
      ['Call', html`<span class="sid">${c.callSid}</span>`], ['Site', `#${c.siteId}`], ['Direction', c.direction], ['From', c.from], ['To', c.to], ['Line', c.lineName ?? '—'],
      ['Agent', c.agentId === null ? '—' : `account #${c.agentId}`], ['Status', c.status], ['Started', when(c.startedAt)], ['Answered', when(c.answeredAt)], ['Ended', when(c.endedAt)],
      ['Duration', c.duration === null ? '—' : `${c.duration} s`], ['Price', c.price ? `${c.price} ${c.priceUnit ?? ''}` : '—'], ['Error', c.errorCode ?? '—'], ['Recording', c.recordingUrl ?? '—'],
    ];
    return op.send(200, 'Call', '/console/voice', html`<p><a href="/console/voice/calls?site=${c.siteId}">← call records</a></p>
<section class="card"><div class="table"><table id="call-detail"><tbody>${facts.map(([k, v]) => html`<tr><th>${k}</th><td class="wrap">${v}</td></tr>`)}</tbody></table></div></section>
<section class="card"><h2>Events</h2><div class="table"><table id="call-events"><thead><tr><th>When</th><th>Status</th></tr></thead>
<tbody>${c.events.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.status}</td></tr>`)}</tbody></table></div></section>`);
  });
};
