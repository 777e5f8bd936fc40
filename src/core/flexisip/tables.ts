/** The SIP account tables (migration 0005_flexisip). Times are epoch milliseconds. */
import type { Generated } from 'kysely';

export interface SipAccountTable {
  account_id: number;
  /** HA1 = H(username:realm:password) in a keyring envelope, one column per algorithm; null when unset. */
  ha1_md5: string | null;
  ha1_sha256: string | null;
  dtmf_protocol: string | null;
  /** Sealed; answered in the account object, so it is kept readable. */
  provisioning_token: string | null;
  /** sha256 of the activation key (shown once, when made). */
  confirmation_key_hash: string | null;
  confirmation_key_expires: number | null;
  user_agent: string | null;
}

export interface SipTokenTable {
  id: Generated<number>;
  /** 'request' (account creation request), 'creation' (account creation) or 'auth'. */
  kind: string;
  token_hash: string;
  domain: string | null;
  account_id: number | null;
  validated_at: number | null;
  used_at: number | null;
  pn_provider: string | null;
  pn_param: string | null;
  pn_prid: string | null;
  created_at: number;
  expires_at: number;
  /** When the credential that attached (auth) or validated (request) the token expires; null: never. What it is exchanged for expires no later. */
  grantor_expires_at: number | null;
}

export interface SipDeviceTable {
  id: Generated<number>;
  account_id: number;
  uuid: string;
  contact: string;
  user_agent: string | null;
  expires_at: number;
  updated_at: number;
}

export interface SipPendingChangeTable {
  account_id: number;
  /** 'email' or 'phone'. */
  kind: string;
  value: string;
  /** Email: sha256 of the code sent. Phone: null, the one-time-code core holds the code (request_id). */
  code_hash: string | null;
  request_id: string | null;
  attempts: number;
  expires_at: number;
  /** Null on rows written before migration 0018. */
  created_at: number | null;
  updated_at: number | null;
}

export interface SipDictionaryTable {
  account_id: number;
  key: string;
  value: string;
}

export interface SipSecretTable {
  name: string;
  sealed: string;
}

/** A deleted account's username in its domain, never registered again (migration 0017). */
export interface SipTombstoneTable {
  domain: string;
  username: string;
  created_at: number;
}

export interface SipTables {
  sip_accounts: SipAccountTable;
  sip_tombstones: SipTombstoneTable;
  sip_tokens: SipTokenTable;
  sip_devices: SipDeviceTable;
  sip_pending_changes: SipPendingChangeTable;
  sip_dictionary: SipDictionaryTable;
  sip_secrets: SipSecretTable;
}
