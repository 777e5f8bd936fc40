/** The fraud guard's tables: per-prefix conversion counts (SQL shared state), blocks, the safe list. */
import type { Generated } from 'kysely';

/**
 * One row per tenant and destination prefix: sends and verifications of the current half-window
 * (`slot` = floor(time / half-window)) and of the one before, and until when the prefix is blocked.
 * Used only when the deployment keeps its shared state in SQL (no REDIS_URL).
 */
export interface FraudPrefixCountTable {
  tenant_id: number;
  prefix: string;
  slot: number;
  sent: number;
  verified: number;
  prev_sent: number;
  prev_verified: number;
  blocked_until: number;
  /** What the last send did: o (counted), t (tripped the block), b (refused: already blocked). */
  last_outcome: string;
  updated_at: number;
}

/** A block, written once by the send that tripped it: the durable record of the event. */
export interface FraudBlockTable {
  id: Generated<number>;
  tenant_id: number;
  prefix: string;
  blocked_at: number;
  blocked_until: number;
  /** The counts that tripped it (the window's sends and verifications). */
  sent: number;
  verified: number;
  lifted_at: number | null;
  /** Who lifted it (a caller's description), when an admin did. */
  lifted_by: string | null;
}

export interface FraudSafeNumberTable {
  tenant_id: number;
  number: string;
  created_at: number;
}

export interface FraudTables {
  fraud_prefix_counts: FraudPrefixCountTable;
  fraud_blocks: FraudBlockTable;
  fraud_safe_numbers: FraudSafeNumberTable;
}
