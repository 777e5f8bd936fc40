/**
 * SMS and voice calls through Twilio's REST API (Messages and Calls, form-encoded, HTTP Basic).
 * A send never throws: an HTTP error, a timeout or a network failure comes back as a failed receipt
 * carrying Twilio's error code and message — never the credentials, never the message body.
 */
import type { TwilioConfig } from '../config.js';
import type { Channel, DeliveryReceipt, OutgoingMessage } from './channel.js';
import { smsBody } from './escape.js';
import { TwimlError, codeCallTwiml, sayOptions } from './twiml.js';
import { receiptStatus } from './twilio-status.js';

/** Where Twilio posts status changes, relative to GATEHOUSE_PUBLIC_URL. */
export const TWILIO_STATUS_PATH = '/2fa/callbacks/twilio/status';

const E164 = /^\+[1-9]\d{1,14}$/;
/** An E.164 phone number: + and up to 15 digits, no leading zero. */
export function isE164(value: string): boolean {
  return E164.test(value);
}

const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

/** A sender Twilio accepts for SMS: an E.164 number or an alphanumeric sender ID. */
export function isSmsSender(value: string): boolean {
  return E164.test(value) || ALPHANUMERIC_SENDER.test(value);
}
/** Twilio's limit for one message body, in characters. */
const MAX_SMS_LENGTH = 1600;

export function createTwilioChannels(config: TwilioConfig, publicUrl: string | null): { sms: Channel; call: Channel } {
  const endpoint = `${config.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}`;
  const authorization = `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}`;
  const statusCallback = publicUrl ? publicUrl.replace(/\/+$/, '') + TWILIO_STATUS_PATH : null;

  async function post(resource: 'Messages' | 'Calls', form: URLSearchParams, message: OutgoingMessage): Promise<DeliveryReceipt> {
    const hide = (text: string) => redact(text, [config.password, message.body]);
    let response: Response;
    try {
      response = await fetch(`${endpoint}/${resource}.json`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form,
        signal: AbortSignal.timeout(config.timeoutMs),
      });
    } catch (err) {
      // No answer (a timeout, a refused or reset connection): Twilio may come back, so it is tried again.
      return { ...failed(hide(networkReason(err, config.timeoutMs))), retryable: true };
    }
    let payload: Record<string, unknown> = {};
    try {
      const text = await response.text();
      const parsed: unknown = text ? JSON.parse(text) : {};
      if (parsed && typeof parsed === 'object') payload = parsed as Record<string, unknown>;
    } catch {
      // A non-JSON answer (a proxy's error page) still has an HTTP status to report.
    }
    if (!response.ok) {
      const code = typeof payload.code === 'number' || typeof payload.code === 'string' ? String(payload.code) : null;
      const text = typeof payload.message === 'string' ? payload.message : response.statusText;
      const reason = failed(hide(`twilio ${code ? `error ${code}` : `HTTP ${response.status}`}${text ? `: ${text}` : ''}`));
      // Twilio's 5xx and 429 (too many requests) pass; its other 4xx (an invalid number, a blocked
      // destination, bad credentials) say the same again to every retry.
      if (response.status >= 500 || response.status === 429) return { ...reason, retryable: true, retryAfterMs: retryAfter(response.headers.get('retry-after')) };
      return reason;
    }
    const sid = typeof payload.sid === 'string' ? payload.sid : null;
    const status = typeof payload.status === 'string' ? receiptStatus(payload.status) : null;
    if (!sid) return failed('twilio answered without a sid');
    if (status === 'failed') {
      const code = payload.error_code === null || payload.error_code === undefined ? '' : `: twilio error ${String(payload.error_code)}`;
      return { provider: 'twilio', providerId: sid, status: 'failed', error: hide(`${String(payload.status)}${code}`) };
    }
    return { provider: 'twilio', providerId: sid, status: status ?? 'queued' };
  }

  return {
    sms: {
      async send(message) {
        if (!E164.test(message.to)) return failed('to is not an E.164 number such as +15551234567');
        const from = message.from || config.from;
        if (from && !isSmsSender(from)) return failed('from is not an E.164 number or an alphanumeric sender ID');
        if (!from && !config.messagingServiceSid) return failed('no sender: give from, or set TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID');
        const body = smsBody(message.body);
        if (!body.trim()) return failed('the message body is empty');
        if (body.length > MAX_SMS_LENGTH) return failed(`the message body is longer than ${MAX_SMS_LENGTH} characters`);
        const form = new URLSearchParams({ To: message.to });
        if (from) form.set('From', from);
        if (config.messagingServiceSid) form.set('MessagingServiceSid', config.messagingServiceSid);
        form.set('Body', body);
        if (statusCallback) form.set('StatusCallback', statusCallback);
        return post('Messages', form, message);
      },
    },
    call: {
      async send(message) {
        if (!E164.test(message.to)) return failed('to is not an E.164 number such as +15551234567');
        const from = message.from || config.from;
        if (!from || !E164.test(from)) return failed('a call needs an E.164 from number: give from, or set TWILIO_FROM');
        if (!message.body.trim()) return failed('the message body is empty');
        let twiml: string;
        try {
          twiml = codeCallTwiml(message.body, sayOptions(message.options));
        } catch (err) {
          if (err instanceof TwimlError) return failed(err.message);
          throw err;
        }
        const form = new URLSearchParams({ To: message.to, From: from, Twiml: twiml });
        if (statusCallback) form.set('StatusCallback', statusCallback);
        return post('Calls', form, message);
      },
    },
  };
}

function failed(error: string): DeliveryReceipt {
  return { provider: 'twilio', providerId: null, status: 'failed', error };
}

/** Retry-After in seconds or as an HTTP date, in ms; null when absent or unreadable. */
export function retryAfter(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  if (/^\d{1,7}$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: unknown; message?: unknown } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `twilio did not answer within ${timeoutMs / 1000} s`;
  const detail = typeof e?.cause?.code === 'string' ? e.cause.code : typeof e?.cause?.message === 'string' ? e.cause.message : 'network error';
  return `cannot reach twilio: ${detail}`;
}

/** One line, bounded, with every secret and the message body cut out wherever they appear. */
function redact(text: string, secrets: Array<string | null | undefined>): string {
  let out = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out.slice(0, 300);
}
