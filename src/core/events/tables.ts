/** The tables of tenant webhooks: the endpoints and every delivery of an event to one of them. */
import type { Generated } from 'kysely';

export interface WebhookTable {
  id: Generated<number>;
  /** "wh_" + 24 hex: the id the API and console show. */
  sid: string;
  tenant_id: number;
  url: string;
  /** JSON array of event types; [] = every event. */
  events: string;
  description: string | null;
  /** The whsec_ signing secret, sealed (context "webhook_secret:<sid>"); shown once, at registration. */
  secret: string;
  created_at: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryTable {
  id: Generated<number>;
  /** "msg_" + 24 hex: the Standard Webhooks webhook-id, the same on every attempt and resend. */
  sid: string;
  webhook_id: number;
  tenant_id: number;
  event_type: string;
  /** Only for events that fire once (verification.expired:<requestId>); unique per webhook. */
  event_key: string | null;
  /** The exact JSON body posted and signed. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  /** When the next attempt is due (while pending). */
  next_attempt_at: number;
  /** The ref of the delivery queue's job that posts it: the sid, then "<sid>:r<time>" after each resend. */
  job_ref: string;
  /** The receiver's last HTTP status; null when it never answered. */
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export interface EventTables {
  webhooks: WebhookTable;
  webhook_deliveries: WebhookDeliveryTable;
}
