/** The tables of the TOTP second factor (migration 0003_twofactor). */
import type { Generated } from 'kysely';

export interface TwoFactorConfigTable {
  id: Generated<number>;
  account_id: number;
  /** The base32 TOTP secret inside an AES-256-GCM envelope, context `totp:<account_id>`. */
  secret: string;
  /** The newest time step accepted for this account: no code of this step or an older one is accepted again. */
  last_step: number | null;
  created_at: number;
  updated_at: number;
}

export interface BackupCodeTable {
  /** One backup code per account at a time. */
  account_id: number;
  code_hash: string;
  created_at: number;
}

export interface SiteAuthenticationConfigTable {
  tenant_id: number;
  /** 2FARequirement: 0 = every login, 1 = may skip on a trusted device for 14 days. */
  requirement: number;
  created_at: number;
  updated_at: number;
}

export interface TwoFactorTables {
  twofactor_configs: TwoFactorConfigTable;
  twofactor_backup_codes: BackupCodeTable;
  site_authentication_configs: SiteAuthenticationConfigTable;
}
