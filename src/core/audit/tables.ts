/** The audit trail's table (migration 0004_login). */
import type { Generated } from 'kysely';

export interface AuditEventTable {
  id: Generated<number>;
  tenant_id: number;
  /** The account concerned; null for a site-level change or a login attempt naming no account. */
  account_id: number | null;
  event: string;
  client_address: string | null;
  /** A small JSON object of facts (method, reason, actor); never a secret, code or token. */
  detail: string | null;
  created_at: number;
}

export interface AuditTables {
  audit_events: AuditEventTable;
}
