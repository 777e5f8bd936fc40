/**
 * Which channel delivers sms, call and email, from the provider the configuration settled on
 * (config.channels): Twilio, SMTP, the development outbox, or none — a channel that fails every
 * delivery and says why. Every channel handed out is wrapped so that a delivery never throws.
 */
import type { ChannelProvider, Config } from '../config.js';
import type { Statements } from '../storage/statements.js';
import type { Channel, ChannelName, DeliveryReceipt } from './channel.js';
import { createOutboxChannel } from './outbox.js';
import { createSmtpChannel } from './smtp.js';
import { createTwilioChannels } from './twilio.js';

export function selectChannels(config: Config, statements: Statements): Record<ChannelName, Channel> {
  const twilio = config.twilio ? createTwilioChannels(config.twilio, config.publicUrl) : null;
  const smtp = config.smtp ? createSmtpChannel(config.smtp) : null;
  const outbox = createOutboxChannel(statements);

  const pick = (name: ChannelName, provider: ChannelProvider): Channel => {
    switch (provider) {
      case 'twilio':
        if (twilio && name !== 'email') return neverThrows('twilio', twilio[name]);
        break;
      case 'smtp':
        if (smtp && name === 'email') return neverThrows('smtp', smtp);
        break;
      case 'outbox':
        if (config.outboxEnabled) return neverThrows('outbox', outbox);
        break;
      case 'none':
        break;
    }
    return unavailable(`no ${name} channel is configured (${name === 'email' ? 'set SMTP_URL' : 'set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN'}, or enable GATEHOUSE_OUTBOX outside production)`);
  };

  return {
    sms: pick('sms', config.channels.sms),
    call: pick('call', config.channels.call),
    email: pick('email', config.channels.email),
  };
}

/** A channel that fails every delivery with the same reason; it is recorded like any other failure. */
export function unavailable(reason: string): Channel {
  return {
    async send(): Promise<DeliveryReceipt> {
      return { provider: 'none', providerId: null, status: 'failed', error: reason };
    },
  };
}

/** A provider's unexpected exception (a database error in the outbox) becomes a failed receipt, not a 500. */
function neverThrows(provider: string, channel: Channel): Channel {
  return {
    local: channel.local,
    async send(message) {
      try {
        return await channel.send(message);
      } catch {
        return { provider, providerId: null, status: 'failed', error: `${provider} delivery failed unexpectedly`, retryable: true };
      }
    },
  };
}
