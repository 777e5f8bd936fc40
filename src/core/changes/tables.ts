/** The admin audit trail's table (migration 0024_admin_changes). */
import type { Generated } from 'kysely';

export interface AdminChangeTable {
  id: Generated<number>;
  created_at: number;
  /** The caller's tenant (null: the CLI's operator or an anonymous caller). Not a foreign key: a record outlives its tenant. */
  actor_tenant_id: number | null;
  /** That tenant's path when the record was made: the reach filter (a tenant reads its tree's records). */
  actor_tenant_path: string | null;
  actor_account_id: number | null;
  /** A role of core/roles.ts, or `operator` (the CLI) or `anonymous` (a public route). */
  actor_role: string;
  /** How the caller authenticated: basic, api_key, jwt, digest, session, cli, none. */
  actor_via: string;
  /** api, console or cli. */
  surface: string;
  action: string;
  object_type: string | null;
  object_id: string | null;
  /** done or refused. */
  outcome: string;
  /** The refusal's error code (core/errors.ts and each capability's table). */
  error_code: string | null;
  status: number | null;
  client_address: string | null;
  request_id: string | null;
  /** A small JSON object of allow-listed, non-secret facts; never a body verbatim. */
  detail: string | null;
}

export interface ChangeTables {
  admin_changes: AdminChangeTable;
}
