/** Trusted devices (migration 0004_login). */
import type { Generated } from 'kysely';

export interface TrustedDeviceTable {
  id: Generated<number>;
  account_id: number;
  /** sha256 of the Verifiedtoken; the token itself is never stored. */
  token_hash: string;
  client_address: string | null;
  user_agent: string | null;
  created_at: number;
  expires_at: number;
  /** When the device last skipped the code (migration 0010_web); null until then. */
  last_used_at: number | null;
}

export interface TrustedDeviceTables {
  trusted_devices: TrustedDeviceTable;
}
