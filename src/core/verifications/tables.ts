/** The tables of one-time codes (Smart 2FA): verifications, their event records, limits, buckets, settings. */
import { type ColumnType, type Generated, type RawBuilder, sql } from 'kysely';

export type VerificationStatus = 'pending' | 'verified' | 'canceled' | 'expired' | 'failed';

/**
 * Live codes, as the index of them by expiry (verifications_pending_expiry) states it: the expiry pass,
 * the usage report's correction and the expiry events find them with it. `attempts >= 0` holds for every
 * row; it is there because a send's and a verify's statements never write it, so PostgreSQL cannot pick
 * this index for them when its statistics make it look empty (migration 0028). `t`: a table alias.
 */
export const expiringSql = (t = ''): string => `${t}status = 'pending' and ${t}attempts >= 0`;
export const expiring = (t = ''): RawBuilder<boolean> => sql.raw(expiringSql(t));

export interface VerificationTable {
  id: Generated<number>;
  /** "OTP" + 32 hex, the requestID every answer carries. */
  request_id: string;
  tenant_id: number;
  service: string;
  channel: string;
  to: string;
  /** HMAC-SHA256(pepper, requestId + ":" + code), hex: the code itself is never stored. */
  code_hash: string;
  status: VerificationStatus;
  attempts: number;
  expires_at: number;
  created_at: number;
  updated_at: number;
  delivery_status: string;
  provider: string | null;
  provider_id: string | null;
  delivery_error: string | null;
}

export interface VerificationEventTable {
  id: Generated<number>;
  request_id: string;
  tenant_id: number;
  /** created, delivery, status, verify, cancel. */
  type: string;
  /** A short fact about the event (a status, "wrong code"); never the code. */
  detail: string | null;
  created_at: number;
}

export interface LimitTable {
  id: Generated<number>;
  sid: string;
  /** The tenant the limit applies to (targetAccountSid). */
  tenant_id: number;
  /** The tenant that created it (accountSid). */
  created_by: number;
  name: string;
  /** The buckets as the JSON string the spec echoes back. */
  buckets: string;
  description: string | null;
  created_at: number;
  updated_at: number;
}

export interface TokenBucketTable {
  key: string;
  tokens: number;
  updated_at: number;
  /** After this instant the bucket is full again and the row may be swept. */
  expires_at: number;
}

export interface Smart2faSettingsTable {
  tenant_id: number;
  /** JSON array of calling codes ("1", "44"); empty = every destination allowed. */
  allowed_calling_codes: string;
  /** JSON array of channel names ("call"): the fallback of a send that names none (migration 0027). */
  default_fallback: ColumnType<string, string | undefined, string>;
  updated_at: number;
}

export interface Smart2faSecretTable {
  name: string;
  /** Sealed with the master key (context "smart2fa_secret:<name>"). */
  sealed: string;
}

export interface VerificationTables {
  verifications: VerificationTable;
  verification_events: VerificationEventTable;
  limits: LimitTable;
  token_buckets: TokenBucketTable;
  smart2fa_settings: Smart2faSettingsTable;
  smart2fa_secrets: Smart2faSecretTable;
}
