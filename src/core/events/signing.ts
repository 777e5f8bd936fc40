/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/): HMAC-SHA256, keyed with the bytes of
 * the base64 after "whsec_", over "<webhook-id>.<webhook-timestamp>.<body>", sent as
 * `webhook-signature: v1,<base64>`. The timestamp is whole seconds since the epoch, new on every
 * attempt; the id is the message's, the same on every attempt so a receiver can drop duplicates.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { newTimeOrderedSid } from '../crypto.js';

export const SECRET_PREFIX = 'whsec_';

/** The sealing context of a webhook's secret at rest (core/secrets/sealed-columns.ts re-seals with it). */
export const secretContext = (webhookSid: string) => `webhook_secret:${webhookSid}`;

/** A new signing secret: 32 random bytes (the spec allows 24 to 64), base64 after the prefix. */
export const newSecret = (): string => SECRET_PREFIX + randomBytes(32).toString('base64');

/** A message id: "msg_" and 32 hex digits, time-ordered (core/crypto.ts) so its index is appended to. */
export const newMessageId = (at?: number): string => newTimeOrderedSid('msg_', at);

export function signature(secret: string, id: string, timestamp: number, body: string): string {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('a webhook secret starts with whsec_');
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The three headers of one attempt. */
export function signedHeaders(secret: string, id: string, body: string, now: number = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature(secret, id, timestamp, body) };
}
