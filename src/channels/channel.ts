/** The one interface every way of reaching a person implements: outbox, SMTP, Twilio SMS and voice. */
export type ChannelName = 'sms' | 'call' | 'email';

export interface OutgoingMessage {
  channel: ChannelName;
  tenantId: number | null;
  to: string;
  from?: string | null;
  subject?: string | null;
  /** Plain text; a channel escapes it for its own format (TwiML, email headers). */
  body: string;
  /** Channel-specific options, e.g. { language, voice, repeat } for calls. */
  options?: Record<string, unknown>;
}

export interface DeliveryReceipt {
  provider: string;
  /** The provider's id for the message (Twilio SID, SMTP message id, outbox row id). */
  providerId: string | null;
  status: 'queued' | 'sent' | 'delivered' | 'failed';
  error?: string;
}

export interface Channel {
  send(message: OutgoingMessage): Promise<DeliveryReceipt>;
}
