/**
 * Twilio's status callbacks: what a callback form says about a message or a call, and whether the
 * request really comes from Twilio (X-Twilio-Signature). The HTTP route lives in the Smart 2FA face.
 */
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../core/crypto.js';
import type { DeliveryReceipt } from './channel.js';

export interface TwilioStatus {
  providerId: string;
  status: DeliveryReceipt['status'];
  error?: string;
}

/** Twilio's message and call statuses folded onto the receipt's four. */
const STATUS = new Map<string, DeliveryReceipt['status']>(Object.entries({
  // messages
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'sent',
  sent: 'sent',
  partially_delivered: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'failed',
  failed: 'failed',
  canceled: 'failed',
  // calls
  initiated: 'sent',
  ringing: 'sent',
  'in-progress': 'sent',
  completed: 'delivered',
  busy: 'failed',
  'no-answer': 'failed',
} as const));

/** The receipt status for a status Twilio reports, or null for one it did not document. */
export function receiptStatus(reported: string): DeliveryReceipt['status'] | null {
  return STATUS.get(reported.toLowerCase()) ?? null;
}

const SID = /^[A-Z]{2}[0-9a-fA-F]{32}$/;

/**
 * The status a callback form reports, or null when the form is not a status callback we understand
 * (no message or call SID, or a status Twilio did not document) — the caller ignores those.
 */
export function parseTwilioStatus(form: Record<string, string>): TwilioStatus | null {
  const isCall = form.CallSid !== undefined && form.MessageSid === undefined && form.SmsSid === undefined;
  const providerId = isCall ? form.CallSid : (form.MessageSid ?? form.SmsSid);
  const reported = (isCall ? form.CallStatus : (form.MessageStatus ?? form.SmsStatus))?.toLowerCase();
  const status = reported === undefined ? undefined : STATUS.get(reported);
  if (!providerId || !SID.test(providerId) || !status) return null;
  if (status !== 'failed') return { providerId, status };
  const code = /^\d{1,6}$/.test(form.ErrorCode ?? '') ? form.ErrorCode : undefined;
  const message = form.ErrorMessage ? oneLine(form.ErrorMessage) : undefined;
  const error = [reported, code && `twilio error ${code}`, message].filter(Boolean).join(': ');
  return { providerId, status, error };
}

/**
 * Twilio's request signature: base64(HMAC-SHA1(authToken, url + each POST parameter's name and value,
 * sorted by name)), compared in constant time. Twilio signs the URL it was given; behind a proxy
 * the port may be added or dropped on the way, so the other spellings of a default port are tried
 * when the URL as configured does not match (which spelling matched tells nothing secret, so the
 * usual case costs one HMAC).
 */
export function validateTwilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string>,
  signature: string | undefined,
): boolean {
  if (!authToken || !signature) return false;
  const signed = signedParams(params);
  if (constantTimeEqual(hmacSha1(authToken, url + signed), signature)) return true;
  return urlSpellings(url).some((other) => other !== url && constantTimeEqual(hmacSha1(authToken, other + signed), signature));
}

export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  return hmacSha1(authToken, url + signedParams(params));
}

/** The parameters as Twilio signs them: each name followed by its value, in name order. */
function signedParams(params: Record<string, string>): string {
  let out = '';
  for (const name of Object.keys(params).sort()) out += name + params[name];
  return out;
}

const hmacSha1 = (key: string, text: string) => createHmac('sha1', key).update(text, 'utf8').digest('base64');

function urlSpellings(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const defaultPort = parsed.protocol === 'https:' ? '443' : parsed.protocol === 'http:' ? '80' : null;
  // URL drops a default port, so an empty port means "default or none written".
  if (!defaultPort || parsed.port !== '') return [url];
  const authority = /^[a-z]+:\/\/[^/?#]*/i.exec(url)?.[0] ?? '';
  const rest = url.slice(authority.length);
  const bare = authority.replace(/:\d*$/, '');
  return [...new Set([url, bare + rest, `${bare}:${defaultPort}${rest}`])];
}

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200);
}
