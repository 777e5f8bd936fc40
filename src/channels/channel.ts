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
  /**
   * True when send only writes a row of this database through prepared statements (the development
   * outbox), settling without leaving the turn of the event loop: a send of a code may then deliver
   * inside its own writes (one SQLite group commit) instead of after them.
   */
  readonly local?: boolean;
}
