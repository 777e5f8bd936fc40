/**
 * One-time codes: send (limits, allow list, code, delivery, record), verify (one counted attempt,
 * constant-time compare, exactly one success), cancel. Every step leaves an event row; the code
 * itself is never stored, logged or returned.
 */
import type { ChannelName, DeliveryReceipt } from '../../channels/channel.js';
import { hasLineBreak, isSafeVoice, ttsLanguage } from '../../channels/escape.js';
import { isEmailAddress } from '../../channels/smtp.js';
import { isE164 } from '../../channels/twilio.js';
import { MAX_REPEAT } from '../../channels/twiml.js';
import { callingCode } from './calling-code.js';
import type { BucketSpec, Buckets } from '../../state/buckets.js';
import type { Caller } from '../callers.js';
import { requireCapability } from '../roles.js';
import type { Channels } from '../core.js';
import type { CoreDeps } from '../context.js';
import type { FraudGuard } from '../fraud/guard.js';
import { GatehouseError, invalid } from '../errors.js';
import type { Events } from '../events/events.js';
import type { Limits } from '../limits/limits.js';
import type { Tenant } from '../tenants/tenants.js';
import { type CodeHasher, newCode, newRequestId } from './codes.js';
import { VerificationErrors } from './errors.js';
import { verificationQueries } from './queries.js';
import type { Queue } from '../queue/queue.js';
import { CODE_JOB, type CodePayload, codeDelivery } from './delivery.js';
import { parseFallback } from './fallback.js';
import type { Settings } from './settings.js';

export const MAX_ATTEMPTS = 5;
const DEFAULT_LIMIT = { max: 1, intervalMs: 60_000 };

export interface SendInput {
  service: string;
  from: string;
  to: string;
  body: string;
  channel?: ChannelName;
  accountSid?: string | null;
  subject?: string | null;
  language?: string | null;
  repeat?: number;
  length?: number;
  voice?: string | null;
  timeout?: number;
  guardTime?: number | null;
  /** {"limit_name": "key value"} in order, or the same object as a JSON string. */
  limits?: unknown;
  /** Channels to fall back to: ["call"], or [{"channel": "email", "to": "…"}] (fallback.ts). */
  fallback?: unknown;
}

export interface VerifyInput {
  requestId?: string | null;
  service?: string | null;
  number?: string | null;
  accountSid?: string | null;
  code: string;
}

const REQUEST_ID = /^OTP[0-9a-f]{32}$/;

/**
 * A phone number as the document's examples write it: E.164 (+919960639903), or its international
 * digits without the + (919960639903: 11 to 15 digits, no leading 0), which is given its +. Fewer
 * digits, or a leading 0, is a national number: its country cannot be known, so it is refused.
 */
export function internationalNumber(field: string, value: string): string {
  if (value.startsWith('+')) {
    if (!isE164(value)) throw invalid(field, 'must be an E.164 number such as +919960639903');
    return value;
  }
  if (/^[1-9]\d{10,14}$/.test(value)) return `+${value}`;
  if (/^\d{1,15}$/.test(value)) throw invalid(field, 'is a national number without a country code: write it in international form, such as +919960639903 or 919960639903');
  throw invalid(field, 'must be an E.164 number such as +919960639903');
}

/** An error about a request that exists: the face shows its requestID. */
const about = (requestId: string, code: string, message: string) => new GatehouseError(code, message, { details: { requestId } });

/** The named limits of a send, in the order given (JSON objects keep their key order). */
export function parseLimits(input: unknown): Array<[string, string]> {
  if (input === undefined || input === null || input === '') return [];
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw invalid('limits', 'is not valid JSON');
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalid('limits', 'must be an object {"limit_name": "key value"}');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 10) throw invalid('limits', 'may name at most 10 limits');
  return entries.map(([name, key]) => {
    if (typeof key !== 'string' && typeof key !== 'number') throw invalid(`limits.${name}`, 'must be a string key value');
    const text = String(key);
    if (!text || text.length > 200) throw invalid(`limits.${name}`, 'must be 1 to 200 characters');
    return [name, text];
  });
}

export function createVerifications(
  core: CoreDeps,
  deps: { channels: Channels; buckets: Buckets; limits: Limits; settings: Settings; hasher: CodeHasher; queue: Queue; fraud: FraudGuard; events: Events },
) {
  const { db, dialect, statements, metrics } = core;
  const { channels, buckets, limits, settings, hasher, queue, fraud, events } = deps;
  const q = verificationQueries(statements, dialect, MAX_ATTEMPTS);
  const delivery = codeDelivery(core, channels, queue, events);

  function validate(input: SendInput) {
    const channel = input.channel ?? 'sms';
    if (channel !== 'email') {
      input = { ...input, to: internationalNumber('to', input.to) };
      // A sender in international digits without + gets it too; alphanumeric sender IDs stay as given.
      if (/^[1-9]\d{10,14}$/.test(input.from)) input = { ...input, from: `+${input.from}` };
    }
    if (!input.service.trim()) throw invalid('service', 'must not be empty');
    if (!input.body.includes('{code}')) throw invalid('body', 'must contain the {code} placeholder');
    if (channel === 'email') {
      if (!isEmailAddress(input.to)) throw invalid('to', 'must be an email address for the email channel');
      if (!isEmailAddress(input.from)) throw invalid('from', 'must be an email address for the email channel');
      if (!input.subject || !input.subject.trim()) throw invalid('subject', 'is required for the email channel');
      if (hasLineBreak(input.subject)) throw invalid('subject', 'must be one line');
    }
    if (input.language && !ttsLanguage(input.language)) throw invalid('language', 'is not a language tag such as en-US or awspolly.ja-JP');
    if (input.voice && !isSafeVoice(input.voice)) throw invalid('voice', 'is not a voice such as man, woman or Polly.Joanna');
    const repeat = input.repeat ?? 1;
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT) throw invalid('repeat', `must be from 1 to ${MAX_REPEAT}`);
    const length = input.length ?? 6;
    if (!Number.isInteger(length) || length < 4 || length > 10) throw invalid('length', 'must be from 4 to 10');
    const timeout = input.timeout ?? 300;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 86_400) throw invalid('timeout', 'must be from 1 to 86400 seconds');
    const guardTime = input.guardTime ?? null;
    if (guardTime !== null && (!Number.isInteger(guardTime) || guardTime < 0 || guardTime > 86_400)) throw invalid('guardTime', 'must be from 0 to 86400 seconds');
    return { input, channel, repeat, length, timeout, guardTime, named: parseLimits(input.limits), fallback: parseFallback(input.fallback, channel) };
  }

  async function send(caller: Caller, given: SendInput): Promise<{ requestId: string }> {
    requireCapability(caller, 'codes.send');
    const v = validate(given);
    const input = v.input;
    const tenant = await limits.target(caller, input.accountSid);
    if (v.channel !== 'email') await settings.assertDestinationAllowed(tenant, input.to);
    // Named limits are taken first (Redis or SQL); the default limit's one bucket rides in the
    // send's own writes, so it costs no extra round trip.
    if (v.named.length) {
      const specs = await limits.bucketsFor(tenant.id, v.named, input.to);
      const taken = await buckets.take(specs);
      if (!taken.ok) throw rateLimited(specs[taken.index]!);
    }

    await fraud.admit(tenant, v.channel, input.to);
    const defaultBucket = { key: `default:${tenant.id}:${input.to}`, ...DEFAULT_LIMIT };
    const requestId = newRequestId();
    const code = newCode(v.length);
    const now = Date.now();
    const channel = channels[v.channel];
    const message = {
      channel: v.channel,
      tenantId: tenant.id,
      to: input.to,
      from: input.from,
      subject: input.subject ?? null,
      body: input.body.split('{code}').join(code),
      options: v.channel === 'call' ? { language: input.language ?? undefined, voice: input.voice ?? undefined, repeat: v.repeat } : undefined,
    };
    // A real provider's delivery is a job written with the request (one transaction) and made by the
    // queue's workers: the send answers at once, and a provider's hiccup or a restart loses nothing.
    // The development outbox delivers in the send's own writes: it needs no stages and no job.
    let job: ReturnType<Queue['sealed']> | undefined;
    if (!channel.local) {
      // A send that names no fallback takes its tenant's default (an explicit [] means none).
      const fallback = input.fallback === undefined ? await settings.fallbackFor(tenant, v.channel) : v.fallback;
      const payload: CodePayload = {
        service: input.service,
        stages: delivery.stagesOf({ channel: v.channel, to: message.to, from: message.from, subject: message.subject, body: message.body, options: message.options }, fallback, message.subject),
      };
      job = queue.sealed({ kind: CODE_JOB, ref: requestId, tenantId: tenant.id, payload: JSON.stringify(payload) });
    }
    const opened = await q.open(
      {
        requestId,
        tenantId: tenant.id,
        service: input.service,
        channel: v.channel,
        to: input.to,
        codeHash: hasher.hash(requestId, code),
        expiresAt: now + v.timeout * 1000,
        now,
        guardUntil: v.guardTime ? now + v.guardTime * 1000 : null,
        bucket: v.named.length ? null : defaultBucket,
        detail: `${v.channel} to ${input.to}`,
      },
      // A delivery to the outbox rides in the opening's writes; any other waits for them.
      channel.local ? { from: message.from, subject: message.subject, body: message.body } : undefined,
      job,
    );
    if (!opened) throw rateLimited(defaultBucket);
    metrics.codeSent(v.channel, v.channel === 'email' ? 'none' : callingCode(input.to));
    if (job) queue.wake();
    // A code for the outbox is there now; a queued one raises its event when the provider answers (delivery.ts).
    if (!job) await events.sent(tenant.id, { requestId, service: input.service, channel: v.channel, to: input.to }, null);
    return { requestId };
  }

  /** 453, with at most how long until the empty bucket holds a token again. */
  function rateLimited(empty: BucketSpec): GatehouseError {
    const retryAfter = Math.max(1, Math.ceil(empty.intervalMs / empty.max / 1000));
    return new GatehouseError(VerificationErrors.rateLimited, 'Too many OTP request to same destination Number', { details: { retryAfter } });
  }

  /** Why a request that cannot be attempted is refused, from its row; null while it is live. */
  function whyNot(requestId: string, row: { status: string; attempts: number; expires_at: number }, now: number): GatehouseError | null {
    if (row.status === 'verified') return about(requestId, VerificationErrors.alreadyVerified, 'OTP is already verified');
    if (row.status === 'canceled') return about(requestId, VerificationErrors.canceled, 'OTP was canceled');
    if (row.status === 'failed' || Number(row.attempts) >= MAX_ATTEMPTS) return about(requestId, VerificationErrors.tooManyAttempts, 'Too many attempts');
    if (row.status !== 'pending' || Number(row.expires_at) <= now) return about(requestId, VerificationErrors.expired, 'OTP expired');
    return null;
  }

  async function refuse(requestId: string, tenantId: number, error: GatehouseError, now: number): Promise<never> {
    await q.record(requestId, tenantId, [{ type: 'verify', detail: `refused: ${error.message}` }], now);
    throw error;
  }

  async function verify(caller: Caller, input: VerifyInput): Promise<{ requestId: string }> {
    requireCapability(caller, 'codes.send');
    if (!/^\d{4,10}$/.test(input.code)) throw invalid('code', 'must be 4 to 10 digits');
    const tenant = await scope(caller, input.accountSid);
    let requestId: string | null = null;
    if (input.number) {
      // By service + number the requestId is ignored, as the spec says: the newest live code counts.
      if (!input.service) throw invalid('service', 'is required when verifying by number');
      requestId = (await q.newest(tenant.id, input.service, /^\+?\d+$/.test(input.number) ? internationalNumber('number', input.number) : input.number))?.request_id ?? null;
    } else if (input.requestId) {
      if (!REQUEST_ID.test(input.requestId)) throw new GatehouseError(VerificationErrors.unknownRequest, 'Invalid OTP Unique Id');
      requestId = input.requestId;
    } else {
      throw invalid('requestId', 'is required (or service and number)');
    }
    if (!requestId) throw new GatehouseError(VerificationErrors.unknownRequest, 'Invalid OTP Unique Id');

    const now = Date.now();
    // One write counts the attempt, settles the outcome and records it. It matches nothing when the
    // request is not live (or a concurrent attempt verified it or spent its last try); the row then
    // says why. So at most MAX_ATTEMPTS comparisons ever count, and exactly one right code wins.
    const counted = await q.count(requestId, tenant.id, now, hasher.hash(requestId, input.code));
    if (!counted) {
      const row = await q.state(requestId, tenant.id);
      const reason = row && whyNot(requestId, row, now);
      if (!reason) throw new GatehouseError(VerificationErrors.unknownRequest, 'Invalid OTP Unique Id');
      return refuse(requestId, tenant.id, reason, now);
    }
    await events.attempted(tenant.id, requestId, counted);
    if (counted.status !== 'verified') throw about(requestId, VerificationErrors.wrongCode, 'Invalid OTP Code');
    metrics.codeVerified(counted.channel);
    await fraud.converted(tenant.id, requestId, counted.channel);
    return { requestId };
  }

  async function cancel(caller: Caller, input: { requestId: string; accountSid?: string | null }): Promise<{ requestId: string }> {
    requireCapability(caller, 'codes.send');
    const tenant = await scope(caller, input.accountSid);
    if (!REQUEST_ID.test(input.requestId)) throw new GatehouseError(VerificationErrors.cancelUnknown, 'Invalid OTP Unique Id');
    const now = Date.now();
    if (!(await q.cancel(input.requestId, tenant.id, now))) {
      const row = await q.state(input.requestId, tenant.id);
      if (!row) throw new GatehouseError(VerificationErrors.cancelUnknown, 'Invalid OTP Unique Id');
      if (row.status === 'verified') throw about(input.requestId, VerificationErrors.alreadyVerified, 'OTP is already verified');
      // Canceling what is already canceled, expired or dead changes nothing and says so plainly.
      return { requestId: input.requestId };
    }
    await q.record(input.requestId, tenant.id, [{ type: 'cancel', detail: 'canceled' }], now);
    await events.canceled(tenant.id, input.requestId);
    return { requestId: input.requestId };
  }

  /** The tenant of a verify or cancel: the caller's own, or the accountSid the code was sent for. */
  async function scope(caller: Caller, accountSid?: string | null): Promise<Pick<Tenant, 'id'>> {
    if (!accountSid) return { id: caller.tenantId };
    return limits.target(caller, accountSid);
  }

  /** A Twilio status callback: the receipt's new status, recorded on the request it belongs to. */
  async function deliveryStatus(providerId: string, status: DeliveryReceipt['status'], error?: string): Promise<boolean> {
    const rows = await db
      .updateTable('verifications')
      .set({ delivery_status: status, delivery_error: error?.slice(0, 500) ?? null, updated_at: Date.now() })
      .where('provider_id', '=', providerId)
      .returning(['request_id', 'tenant_id'])
      .execute();
    for (const r of rows) await q.record(r.request_id, r.tenant_id, [{ type: 'status', detail: `${status}${error ? `: ${error}` : ''}`.slice(0, 500) }], Date.now());
    // The attempt it reports on (an SMS that fell back to a call keeps its own row), and the job
    // waiting for this report, if any: delivered ends it, undelivered falls back, now.
    const reported = status === 'delivered' ? 'delivered' : status === 'failed' ? 'undelivered' : null;
    if (reported) {
      // Kept first: the report may come before the worker recorded the attempt (delivery.ts reads it).
      await db
        .insertInto('delivery_reports')
        .values({ provider_id: providerId, status, error: error?.slice(0, 500) ?? null, created_at: Date.now() })
        .onConflict((oc) => oc.column('provider_id').doNothing())
        .execute();
      const attempts = await db
        .updateTable('delivery_attempts')
        .set({ status: reported, error: error?.slice(0, 500) ?? null })
        .where('provider_id', '=', providerId)
        .returning('request_id')
        .execute();
      for (const r of [...rows, ...attempts]) await queue.hurry(`${CODE_JOB}:${r.request_id}`, providerId);
    }
    for (const r of rows) await events.deliveryStatus(r.tenant_id, r.request_id, status, error);
    return rows.length > 0;
  }

  return { send, verify, cancel, deliveryStatus };
}

export type Verifications = ReturnType<typeof createVerifications>;
