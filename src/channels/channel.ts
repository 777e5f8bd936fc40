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
  /**
   * A failure worth trying again (a provider 5xx, a 429, a timeout, a connection error); a failure
   * without it is permanent (Twilio 4xx such as an invalid number, an SMTP 5xx, a refused input).
   */
  retryable?: boolean;
  /** How long the provider asked to wait before trying again (Retry-After), in ms. */
  retryAfterMs?: number | null;
}

export interface Channel {
  send(message: OutgoingMessage): Promise<DeliveryReceipt>;
  /**
   * True when send only stores the message in this database's development outbox: a send of a code
   * then writes that row itself, with its own writes (one transaction, and on PostgreSQL one round
   * trip), instead of calling send after them.
   */
  readonly local?: boolean;
}
