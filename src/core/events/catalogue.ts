/**
 * The events a tenant's webhook receives, and the one payload shape they share (Standard Webhooks'
 * recommended `{type, timestamp, data}`). docs/delivery.md "Events" shows an example of each; a new
 * event is one line here and one example there.
 */

export const EVENT_TYPES = [
  // A one-time code was handed to its provider (or written to the development outbox).
  'verification.sent',
  // The provider reported the message delivered (Twilio status callback).
  'verification.delivered',
  // The provider refused the message or reported it undelivered or failed.
  'verification.failed',
  // The right code was presented: the request is verified.
  'verification.approved',
  // The request's timeout passed while it was still pending (fired once, by a sweep: core/events/expiry-sweep.ts).
  'verification.expired',
  // The request was cancelled (POST /2fa/cancel).
  'verification.canceled',
  // The last allowed attempt was a wrong code: the request is dead.
  'verification.max_attempts_reached',
  // An account was locked by a run of second-factor failures.
  'login.locked',
  // An account's lock was lifted: by an operator, or because it ran out and the account tried again.
  'login.unlocked',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export const isEventType = (name: string): name is EventType => (EVENT_TYPES as readonly string[]).includes(name);

/** What a verification event tells: never the code, never the message body. */
export interface VerificationEventData {
  requestId: string;
  accountSid?: string;
  service?: string;
  channel?: string;
  to?: string;
  provider?: string | null;
  providerId?: string | null;
  status?: string;
  error?: string | null;
  attempts?: number;
}

/** What a login lock event tells. */
export interface LoginEventData {
  accountId: number;
  email?: string | null;
  lockedUntil?: string | null;
  reason?: string;
}

/** The body posted: the same bytes on every attempt, signed as they are. */
export function eventBody(type: EventType, data: object, at: number): string {
  return JSON.stringify({ type, timestamp: new Date(at).toISOString(), data });
}
