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

export interface MaintenanceLeaseTable {
  name: string;
  /** The node holding it, or null. */
  holder: string | null;
  expires_at: number;
}

export interface GrowthTables {
  usage_daily: UsageDailyTable;
  maintenance_leases: MaintenanceLeaseTable;
}
