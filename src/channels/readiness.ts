/**
 * Whether each channel can reach a person. The development outbox only stores messages (codes in
 * plaintext, for an admin to read) and `none` fails every delivery: with either, a code sent on
 * that channel reaches nobody. A fresh install with NODE_ENV unset is in that state for all three,
 * so the server says so loudly at start, and /readyz reports it.
 */
import type { Config } from '../config.js';
import type { ChannelName } from './channel.js';

export interface ChannelReadiness {
  provider: Config['channels'][ChannelName];
  /** True when the provider delivers to a person (Twilio, SMTP). */
  delivers: boolean;
}

export function channelReadiness(config: Config): Record<ChannelName, ChannelReadiness> {
  const of = (provider: Config['channels'][ChannelName]) => ({ provider, delivers: provider !== 'outbox' && provider !== 'none' });
  return { sms: of(config.channels.sms), call: of(config.channels.call), email: of(config.channels.email) };
}

interface Warner {
  warn(facts: object, message: string): void;
}

/** One warning in the log and one line on stderr when a channel cannot deliver; nothing otherwise. */
export function warnAboutChannels(config: Config, log: Warner, stderr: { write(text: string): unknown } = process.stderr): void {
  const readiness = channelReadiness(config);
  const idle = (Object.keys(readiness) as ChannelName[]).filter((c) => !readiness[c].delivers);
  if (idle.length === 0) return;
  const what = idle.map((c) => `${c} → ${readiness[c].provider}`).join(', ');
  const message = `NO REAL DELIVERY CHANNEL for ${what}: codes sent this way reach nobody${idle.some((c) => readiness[c].provider === 'outbox') ? ' (the development outbox stores them in plaintext for admins)' : ''}; configure TWILIO_* and SMTP_URL for production`;
  log.warn({ channels: readiness }, message);
  stderr.write(`gatehouse: WARNING: ${message}\n`);
}
