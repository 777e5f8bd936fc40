/**
 * Phone lines: one of a site's Twilio numbers, the agents whose browsers ring for it, a greeting,
 * how long to ring, and what happens when nobody answers. A number serves at most one line.
 */
import { isSafeVoice, ttsLanguage } from '../../channels/escape.js';
import { isE164 } from '../../channels/twilio.js';
import { type Caller, isSiteAgent, reaches } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { now } from '../crypto.js';
import { conflict, invalid, notFound } from '../errors.js';
import { isUniqueViolation } from '../../storage/errors.js';
import type { Selectable } from 'kysely';
import type { Settings } from '../verifications/settings.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import { requireCapability } from '../roles.js';
import type { PhoneNumbers } from './phone-numbers.js';
import type { PhoneLineTable } from './tables.js';
import type { TwilioAccounts } from './twilio-accounts.js';

export interface Speech {
  text: string;
  language: string | null;
  voice: string | null;
}
export type Greeting = ({ type: 'say' } & Speech) | { type: 'play'; url: string } | { type: 'none' };
export type Fallback =
  | { type: 'voicemail'; text: string | null; language: string | null; voice: string | null; maxLength: number }
  | { type: 'forward'; number: string }
  | ({ type: 'message' } & Speech);

export interface PhoneLine {
  id: number;
  siteId: number;
  name: string;
  phoneNumber: string;
  agentIds: number[];
  greeting: Greeting;
  ringTimeout: number;
  fallback: Fallback;
  createdAt: number;
  updatedAt: number;
}

/** What a client sends: every field optional on update; checked here, whatever the face let through. */
export interface PhoneLineInput {
  name?: string;
  phoneNumber?: string;
  agentIds?: number[];
  greeting?: { type: string; text?: string; language?: string; voice?: string; url?: string };
  ringTimeout?: number;
  fallback?: { type: string; text?: string; language?: string; voice?: string; maxLength?: number; number?: string };
}

export const RING_TIMEOUT = { min: 5, max: 120, fallback: 20 };
export const VOICEMAIL_MAX_LENGTH = { max: 3600, fallback: 120 };
const MAX_TEXT = 1000;
const DEFAULT_FALLBACK: Fallback = { type: 'message', text: 'Sorry, nobody can take your call now. Please call again later.', language: null, voice: null };

export const toLine = (row: Selectable<PhoneLineTable>, agentIds: number[]): PhoneLine => ({
  id: Number(row.id),
  siteId: Number(row.tenant_id),
  name: row.name,
  phoneNumber: row.phone_number,
  agentIds,
  greeting: JSON.parse(row.greeting) as Greeting,
  ringTimeout: Number(row.ring_timeout),
  fallback: JSON.parse(row.fallback) as Fallback,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

function speech(field: string, input: { text?: string; language?: string; voice?: string }, required: boolean): Speech | null {
  const text = input.text?.trim() ?? '';
  if (!text) {
    if (required) throw invalid(`${field}.text`, 'is required');
    return null;
  }
  if (text.length > MAX_TEXT) throw invalid(`${field}.text`, `must be at most ${MAX_TEXT} characters`);
  let language: string | null = null;
  if (input.language) {
    language = ttsLanguage(input.language);
    if (!language) throw invalid(`${field}.language`, 'must be a language tag such as en-US');
  }
  if (input.voice && !isSafeVoice(input.voice)) throw invalid(`${field}.voice`, 'must be a voice name such as woman or Polly.Joanna');
  return { text, language, voice: input.voice || null };
}

function greetingOf(input: NonNullable<PhoneLineInput['greeting']>): Greeting {
  switch (input.type) {
    case 'say':
      return { type: 'say', ...speech('greeting', input, true)! };
    case 'play': {
      let url: URL | null = null;
      try {
        url = new URL(input.url ?? '');
      } catch {}
      if (!url || !['http:', 'https:'].includes(url.protocol) || (input.url ?? '').length > 500) throw invalid('greeting.url', 'must be an http(s) URL of an audio file, at most 500 characters');
      return { type: 'play', url: url.toString() };
    }
    case 'none':
      return { type: 'none' };
    default:
      throw invalid('greeting.type', 'must be one of say, play, none');
  }
}

export type PhoneLines = ReturnType<typeof createPhoneLines>;

export function createPhoneLines({ db }: CoreDeps, deps: { tenants: Tenants; numbers: PhoneNumbers; accounts: TwilioAccounts; settings: Settings }) {
  const { tenants, numbers, settings } = deps;

  async function fallbackOf(input: NonNullable<PhoneLineInput['fallback']>, tenant: Tenant): Promise<Fallback> {
    switch (input.type) {
      case 'voicemail': {
        const maxLength = input.maxLength ?? VOICEMAIL_MAX_LENGTH.fallback;
        if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > VOICEMAIL_MAX_LENGTH.max) throw invalid('fallback.maxLength', `must be a whole number of seconds from 1 to ${VOICEMAIL_MAX_LENGTH.max}`);
        const s = speech('fallback', input, false);
        return { type: 'voicemail', text: s?.text ?? null, language: s?.language ?? null, voice: s?.voice ?? null, maxLength };
      }
      case 'forward': {
        const number = input.number ?? '';
        if (!isE164(number)) throw invalid('fallback.number', 'must be an E.164 number such as +14155550100');
        // A forward is an outgoing call on the tenant's bill: the same allow list as agents' calls.
        try {
          await settings.assertDestinationAllowed(tenant, number);
        } catch {
          throw invalid('fallback.number', "is in a country outside this site's allow list");
        }
        return { type: 'forward', number };
      }
      case 'message':
        return { type: 'message', ...speech('fallback', input, true)! };
      default:
        throw invalid('fallback.type', 'must be one of voicemail, forward, message');
    }
  }

  /**
   * Agents ring on a line of their own site; super agents on lines of their own or their partner's
   * sites. An agent of the partner itself is outside a site's reach, so it never rings there.
   */
  async function checkAgents(tenant: Tenant, agentIds: number[]): Promise<number[]> {
    const ids = [...new Set(agentIds)];
    if (ids.length > 100) throw invalid('agentIds', 'a line rings at most 100 agents');
    if (ids.length === 0) return ids;
    const rows = await db
      .selectFrom('accounts')
      .innerJoin('tenants', 'tenants.id', 'accounts.tenant_id')
      .select(['accounts.id', 'accounts.role', 'tenants.path'])
      .where('accounts.id', 'in', ids)
      .execute();
    for (const id of ids) {
      const row = rows.find((r) => Number(r.id) === id);
      const fits = row && ((isSiteAgent(row.role) && row.path === tenant.path) || (row.role === 'superagent' && tenant.path.startsWith(row.path)));
      if (!fits) throw invalid('agentIds', `${id} is not an agent of this site`);
    }
    return ids.sort((a, b) => a - b);
  }

  async function agentsOf(lineIds: number[]): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>(lineIds.map((id) => [id, []]));
    if (lineIds.length === 0) return out;
    const rows = await db.selectFrom('phone_line_agents').select(['line_id', 'account_id']).where('line_id', 'in', lineIds).orderBy('account_id').execute();
    for (const r of rows) out.get(Number(r.line_id))?.push(Number(r.account_id));
    return out;
  }

  /** A line the caller reaches, with its tenant. */
  async function find(caller: Caller, id: number): Promise<{ row: Selectable<PhoneLineTable>; tenant: Tenant }> {
    const row = await db.selectFrom('phone_lines').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('phone line');
    const tenant = (await tenants.find(Number(row.tenant_id)))!;
    // A line outside the caller's reach does not exist for it.
    if (!reaches(caller, tenant.path)) throw notFound('phone line');
    return { row, tenant };
  }

  function numberTaken(err: unknown): never {
    if (isUniqueViolation(err)) throw conflict('phoneNumber: another phone line uses this number', 'phoneNumber');
    throw err;
  }

  async function create(caller: Caller, siteRef: number | undefined, input: PhoneLineInput): Promise<PhoneLine> {
    requireCapability(caller, 'voice.lines.manage');
    const tenant = await deps.accounts.tenantOf(caller, siteRef);
    const name = input.name?.trim() ?? '';
    if (!name || name.length > 100) throw invalid('name', 'is required, at most 100 characters');
    if (input.phoneNumber === undefined) throw invalid('phoneNumber', 'is required');
    const ringTimeout = input.ringTimeout ?? RING_TIMEOUT.fallback;
    if (!Number.isInteger(ringTimeout) || ringTimeout < RING_TIMEOUT.min || ringTimeout > RING_TIMEOUT.max) throw invalid('ringTimeout', `must be a whole number of seconds from ${RING_TIMEOUT.min} to ${RING_TIMEOUT.max}`);
    const greeting = input.greeting ? greetingOf(input.greeting) : { type: 'none' as const };
    const fallback = input.fallback ? await fallbackOf(input.fallback, tenant) : DEFAULT_FALLBACK;
    const agentIds = await checkAgents(tenant, input.agentIds ?? []);
    await numbers.assertUsable(tenant, input.phoneNumber);
    const t = now();
    const row = await db
      .transaction()
      .execute(async (trx) => {
        const line = await trx
          .insertInto('phone_lines')
          .values({ tenant_id: tenant.id, name, phone_number: input.phoneNumber!, greeting: JSON.stringify(greeting), ring_timeout: ringTimeout, fallback: JSON.stringify(fallback), created_at: t, updated_at: t })
          .returningAll()
          .executeTakeFirstOrThrow();
        if (agentIds.length > 0) await trx.insertInto('phone_line_agents').values(agentIds.map((a) => ({ line_id: line.id, account_id: a }))).execute();
        return line;
      })
      .catch(numberTaken);
    return toLine(row, agentIds);
  }

  async function update(caller: Caller, id: number, input: PhoneLineInput): Promise<PhoneLine> {
    requireCapability(caller, 'voice.lines.manage');
    const { row, tenant } = await find(caller, id);
    const changes: Partial<Selectable<PhoneLineTable>> = {};
    if (input.name !== undefined) {
      const name = input.name.trim();
      if (!name || name.length > 100) throw invalid('name', 'must not be empty, at most 100 characters');
      changes.name = name;
    }
    if (input.ringTimeout !== undefined) {
      if (!Number.isInteger(input.ringTimeout) || input.ringTimeout < RING_TIMEOUT.min || input.ringTimeout > RING_TIMEOUT.max) throw invalid('ringTimeout', `must be a whole number of seconds from ${RING_TIMEOUT.min} to ${RING_TIMEOUT.max}`);
      changes.ring_timeout = input.ringTimeout;
    }
    if (input.greeting) changes.greeting = JSON.stringify(greetingOf(input.greeting));
    if (input.fallback) changes.fallback = JSON.stringify(await fallbackOf(input.fallback, tenant));
    const agentIds = input.agentIds === undefined ? undefined : await checkAgents(tenant, input.agentIds);
    if (input.phoneNumber !== undefined && input.phoneNumber !== row.phone_number) {
      await numbers.assertUsable(tenant, input.phoneNumber);
      changes.phone_number = input.phoneNumber;
    }
    const updated = await db
      .transaction()
      .execute(async (trx) => {
        const line = await trx.updateTable('phone_lines').set({ ...changes, updated_at: now() }).where('id', '=', id).returningAll().executeTakeFirst();
        if (!line) throw notFound('phone line');
        if (agentIds !== undefined) {
          await trx.deleteFrom('phone_line_agents').where('line_id', '=', id).execute();
          if (agentIds.length > 0) await trx.insertInto('phone_line_agents').values(agentIds.map((a) => ({ line_id: id, account_id: a }))).execute();
        }
        return line;
      })
      .catch(numberTaken);
    return toLine(updated, agentIds ?? (await agentsOf([id])).get(id)!);
  }

  /** Deleting a line in a call is allowed: the call's record keeps the line's name. */
  async function remove(caller: Caller, id: number): Promise<void> {
    requireCapability(caller, 'voice.lines.manage');
    await find(caller, id);
    await db.deleteFrom('phone_lines').where('id', '=', id).execute();
  }

  async function get(caller: Caller, id: number): Promise<PhoneLine> {
    requireCapability(caller, 'voice.lines.read');
    const { row } = await find(caller, id);
    return toLine(row, (await agentsOf([id])).get(id)!);
  }

  async function list(caller: Caller, siteRef: number | undefined): Promise<PhoneLine[]> {
    requireCapability(caller, 'voice.lines.read');
    const tenant = await deps.accounts.tenantOf(caller, siteRef);
    const rows = await db.selectFrom('phone_lines').selectAll().where('tenant_id', '=', tenant.id).orderBy('id').execute();
    const agents = await agentsOf(rows.map((r) => Number(r.id)));
    return rows.map((r) => toLine(r, agents.get(Number(r.id))!));
  }

  return { create, update, remove, get, list };
}
