/** The tables of growth: usage roll-ups and the maintenance lease (migration 0025). */

export interface UsageDailyTable {
  tenant_id: number;
  /** UTC day of the send: created_at / 86 400 000. */
  day: number;
  channel: string;
  /** The destination's calling code ("44"), 'none' for email, 'unknown' for anything else. */
  country: string;
  /** The request's stored status: pending, verified, canceled, failed or expired. */
  status: string;
  /** PostgreSQL: the writing connection's shard of the counter (migration 0025 says why); SQLite: 0. */
  shard: number;
  count: number;
}

/** Delivery tries by tenant, UTC day of the send and channel of the try (migration 0027). */
export interface AttemptsDailyTable {
  tenant_id: number;
  day: number;
  channel: string;
  /** As usage_daily's. */
  shard: number;
  count: number;
}

export interface MaintenanceLeaseTable {
  name: string;
  /** The node holding it, or null. */
  holder: string | null;
  expires_at: number;
}

/** Flexisip statistics per tenant, UTC day and domain (migration 0025 says which domain each counts by). */
export interface SipStatisticsDailyTable {
  tenant_id: number;
  day: number;
  domain: string;
  messages_sent: number;
  messages_encrypted: number;
  messages_received: number;
  calls_total: number;
  calls_answered: number;
  calls_duration_ms: number;
}

export interface GrowthTables {
  usage_daily: UsageDailyTable;
  attempts_daily: AttemptsDailyTable;
  sip_statistics_daily: SipStatisticsDailyTable;
  maintenance_leases: MaintenanceLeaseTable;
}
