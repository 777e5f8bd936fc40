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
}

export interface TrustedDeviceTables {
  trusted_devices: TrustedDeviceTable;
}
