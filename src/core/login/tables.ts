/** The login flow's tables (migration 0004_login). */

export interface PreLoginTokenTable {
  /** sha256 of the opaque preLoginToken; the token itself is never stored. */
  token_hash: string;
  account_id: number;
  /** 'setup' (the agent must set up 2FA) or 'verify' (the agent must present a code). */
  step: string;
  /** The account's tenant, role and parent tenant at login, for the JWT's claims and the audit trail. */
  tenant_id: number;
  role: string;
  parent_tenant_id: number | null;
  /** Codes tried with this token; each try is reserved before the code is checked. */
  attempts: number;
  /** 1 when the site's policy (2FARequirement 1) lets this login trust the device. */
  may_trust_device: number;
  client_address: string | null;
  created_at: number;
  expires_at: number;
}

export interface LoginLockTable {
  account_id: number;
  /** Consecutive second-factor failures since the last success or lock. */
  failures: number;
  /** Until when the account is locked; null when it is not. */
  locked_until: number | null;
  updated_at: number;
}

export interface LoginTables {
  pre_login_tokens: PreLoginTokenTable;
  login_locks: LoginLockTable;
}
