/** The delivery queue's tables (migration 0019_delivery_queue). */
import type { Generated } from 'kysely';

export interface DeliveryJobTable {
  id: Generated<number>;
  /** "<kind>:<ref>", unique; the payload's sealing context. */
  key: string;
  kind: string;
  tenant_id: number | null;
  ref: string;
  /** queued | running | done | failed | canceled; a running job's run_at is its lease's end. */
  state: string;
  run_at: number;
  claims: Generated<number>;
  attempts: Generated<number>;
  stage: Generated<number>;
  note: string | null;
  /** Sealed; null once the job ended. */
  payload: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** One try of one channel for a code: what the SDR and the console show. */
export interface DeliveryAttemptTable {
  id: Generated<number>;
  job_id: number | null;
  request_id: string;
  tenant_id: number | null;
  channel: string;
  provider: string;
  provider_id: string | null;
  /** accepted | delivered | retry | failed | undelivered */
  status: string;
  error: string | null;
  created_at: number;
}

export interface QueueTables {
  delivery_jobs: DeliveryJobTable;
  delivery_attempts: DeliveryAttemptTable;
}
