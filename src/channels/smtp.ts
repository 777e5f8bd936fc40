/**
 * Email through an SMTP relay (nodemailer), as one text/plain message per code. Addresses must be a
 * single plain address and the subject one line: anything that could add a header or a recipient is
 * refused, not rewritten. A send never throws; failures are failed receipts without the SMTP password
 * or the message body.
 */
import { createRequire } from 'node:module';
import type nodemailer from 'nodemailer';
import type { SmtpConfig } from '../config.js';
import type { Channel, DeliveryReceipt } from './channel.js';
import { hasLineBreak, headerValue } from './escape.js';

/** One bare address: no display name, no list, no comments — so one message reaches one mailbox. */
const ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const MAX_SUBJECT_LENGTH = 200;

export function isEmailAddress(value: string): boolean {
  return ADDRESS.test(value) && !value.startsWith('.') && !value.includes('..');
}

export function createSmtpChannel(config: SmtpConfig): Channel {
  // Loaded only by a deployment that sends email.
  const mailer = createRequire(import.meta.url)('nodemailer') as typeof nodemailer;
  const transport = mailer.createTransport({
    url: config.url,
    requireTLS: config.requireTls,
    tls: { rejectUnauthorized: config.rejectUnauthorized },
    connectionTimeout: config.timeoutMs,
    greetingTimeout: config.timeoutMs,
    socketTimeout: config.timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const password = smtpPassword(config.url);

  return {
    async send(message) {
      if (!isEmailAddress(message.to)) return failed('to is not a single email address such as name@example.com');
      if (message.from && !isEmailAddress(message.from)) return failed('from is not a single email address such as codes@example.com');
      const from = message.from || config.from;
      if (!from) return failed('no sender: give from, or set SMTP_FROM');
      const subject = message.subject ?? '';
      if (hasLineBreak(subject)) return failed('the subject must be one line');
      if (!headerValue(subject)) return failed('the subject is empty');
      if (subject.length > MAX_SUBJECT_LENGTH) return failed(`the subject is longer than ${MAX_SUBJECT_LENGTH} characters`);
      try {
        const info = await transport.sendMail({
          from,
          to: message.to,
          subject: headerValue(subject),
          text: message.body,
          disableFileAccess: true,
          disableUrlAccess: true,
        });
        if (info.rejected.length > 0 || info.accepted.length === 0) {
          return { provider: 'smtp', providerId: info.messageId ?? null, status: 'failed', error: 'the SMTP server refused the recipient' };
        }
        return { provider: 'smtp', providerId: info.messageId ?? null, status: 'sent' };
      } catch (err) {
        return { ...failed(redact(smtpReason(err), [password, message.body])), retryable: smtpRetryable(err) };
      }
    },
  };
}

function failed(error: string): DeliveryReceipt {
  return { provider: 'smtp', providerId: null, status: 'failed', error };
}

/** Connection codes nodemailer reports when no SMTP reply was had (a timeout, a refused connection, DNS). */
const TRANSIENT = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPROTOCOL']);

/** SMTP says it itself: a 4xx reply is "try again later", a 5xx is final; no reply at all is retried. */
export function smtpRetryable(err: unknown): boolean {
  const e = err as { code?: unknown; responseCode?: unknown };
  if (typeof e?.responseCode === 'number') return e.responseCode >= 400 && e.responseCode < 500;
  return typeof e?.code === 'string' && TRANSIENT.has(e.code);
}

function smtpReason(err: unknown): string {
  const e = err as { code?: unknown; responseCode?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : null;
  const reply = typeof e?.responseCode === 'number' ? e.responseCode : null;
  const text = typeof e?.message === 'string' ? e.message : 'unknown error';
  return `smtp ${[code, reply].filter((x) => x !== null).join(' ') || 'error'}: ${text}`;
}

function smtpPassword(url: string): string | null {
  try {
    return decodeURIComponent(new URL(url).password) || null;
  } catch {
    return null;
  }
}

function redact(text: string, secrets: Array<string | null | undefined>): string {
  let out = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out.slice(0, 300);
}
