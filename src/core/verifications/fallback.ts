/**
 * Channel fallback: the channels a code goes out on, in order, when the one before fails for good,
 * runs out of retries, or is reported undelivered (or not delivered in time). The first is the send's
 * own channel; the rest come from the send's "fallback" (or the tenant's default): "call" or "sms"
 * reach the same number, email needs its address ({"channel": "email", "to": "…"}). The same code and
 * request ID go out on each.
 */
import type { ChannelName } from '../../channels/channel.js';
import { isEmailAddress } from '../../channels/smtp.js';
import { invalid } from '../errors.js';

/** One channel of the chain, as the queued job holds it (sealed: body holds the code). */
export interface Stage {
  channel: ChannelName;
  to: string;
  from: string | null;
  subject: string | null;
  body: string;
  options?: Record<string, unknown>;
}

/** A fallback as a send or a tenant setting names it: the channel and, for email, the address. */
export interface FallbackStep {
  channel: ChannelName;
  to?: string;
}

export const MAX_FALLBACKS = 2;

/** `["call"]` or `[{"channel": "email", "to": "a@b.example"}]`, checked; [] when absent. */
export function parseFallback(input: unknown, first: ChannelName, field = 'fallback'): FallbackStep[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw invalid(field, 'must be a list such as ["call"] or [{"channel": "email", "to": "name@example.com"}]');
  if (input.length > MAX_FALLBACKS) throw invalid(field, `may name at most ${MAX_FALLBACKS} channels`);
  const seen = new Set<ChannelName>([first]);
  return input.map((item, i) => {
    const at = `${field}[${i}]`;
    const step = typeof item === 'string' ? { channel: item } : item && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : null;
    if (!step) throw invalid(at, 'must be a channel name or {"channel", "to"}');
    const channel = step.channel;
    if (channel !== 'sms' && channel !== 'call' && channel !== 'email') throw invalid(`${at}.channel`, 'must be sms, call or email');
    if (seen.has(channel)) throw invalid(`${at}.channel`, `names ${channel} twice (or the send's own channel)`);
    seen.add(channel);
    const to = step.to;
    if (to !== undefined && typeof to !== 'string') throw invalid(`${at}.to`, 'must be a string');
    if (channel === 'email') {
      if (!to || !isEmailAddress(to)) throw invalid(`${at}.to`, 'an email fallback needs the address to send to');
      return { channel, to };
    }
    if (to !== undefined) throw invalid(`${at}.to`, 'sms and call fall back to the same number: give no to');
    if (first === 'email') throw invalid(at, 'an email send has no number to fall back to');
    return { channel };
  });
}
