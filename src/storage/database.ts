/**
 * The Kysely schema: one interface per table. Times are milliseconds since the epoch (bigint in
 * PostgreSQL, integer in SQLite) and flags are 0/1 integers, so rows read the same on both dialects.
 * Each capability adds its tables here and a migration under migrations/.
 */
import type { Generated, Kysely } from 'kysely';
import type { AuditTables } from '../core/audit/tables.js';
import type { ChangeTables } from '../core/changes/tables.js';
import type { EventTables } from '../core/events/tables.js';
import type { SipTables } from '../core/flexisip/tables.js';
import type { GrowthTables } from '../core/growth/tables.js';
import type { LoginTables } from '../core/login/tables.js';
import type { PasskeyTables } from '../core/passkeys/tables.js';
import type { SipDirectoryTables } from '../core/sip-directory/tables.js';
import type { TrustedDeviceTables } from '../core/trusted-devices/tables.js';
import type { FraudTables } from '../core/fraud/tables.js';
import type { TwoFactorTables } from '../core/twofactor/tables.js';
import type { VerificationTables } from '../core/verifications/tables.js';
import type { VoiceTables } from '../core/voice/tables.js';
import type { QueueTables } from '../core/queue/tables.js';

export interface TenantTable {
  id: Generated<number>;
  sid: string;
  name: string;
  parent_id: number | null;
  /** The SIDs from the root down to this tenant, '/'-separated and closed: "/AC…/AC…/". */
  path: string;
  /** Contact email (0009_wire); null when none was given. */
  email: string | null;
  created_at: number;
  updated_at: number;
}

export interface AuthTokenTable {
  id: Generated<number>;
  tenant_id: number;
  token_hash: string;
  created_at: number;
  /** 0023: the secret's first characters, its creator, its last use (see that migration). */
  prefix: string | null;
  created_by: string | null;
  last_used_at: number | null;
}

export interface SipDomainTable {
  id: Generated<number>;
  tenant_id: number;
  domain: string;
  created_at: number;
}

export interface AccountTable {
  id: Generated<number>;
  tenant_id: number;
  username: string | null;
  domain: string | null;
  email: string | null;
  phone: string | null;
  display_name: string | null;
  role: string;
  activated: number;
  blocked: number;
  password_hash: string | null;
  /** When the account first completed a login (0009_wire); null until then. */
  first_login_at: number | null;
  created_at: number;
  updated_at: number;
  /** JWTs issued before this time (ms) are refused: set by a password change or a 2FA reset (0008_roles). */
  credentials_valid_after: number | null;
  /** The domain of an account found, by 0013, on a SIP domain its tenant does not own (then blocked, domain null). */
  misplaced_domain: string | null;
}

export interface ApiKeyTable {
  id: Generated<number>;
  account_id: number;
  key_hash: string;
  name: string | null;
  created_at: number;
  expires_at: number | null;
  /** 0023: the secret's first characters, its creator, its last use (see that migration). */
  prefix: string | null;
  created_by: string | null;
  last_used_at: number | null;
}

export interface SigningKeyTable {
  kid: string;
  alg: string;
  public_jwk: string;
  /** PKCS#8 PEM inside an AES-256-GCM envelope. */
  private_key: string;
  created_at: number;
}

export interface SharedStateTable {
  key: string;
  value: number;
  expires_at: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface OutboxMessageTable {
  id: Generated<number>;
  tenant_id: number | null;
  channel: string;
  to: string;
  from: string | null;
  subject: string | null;
  body: string;
  created_at: number;
}

export interface Database extends EventTables, FraudTables, TwoFactorTables, AuditTables, ChangeTables, LoginTables, TrustedDeviceTables, VerificationTables, VoiceTables, SipTables, SipDirectoryTables, QueueTables, GrowthTables, PasskeyTables {
  tenants: TenantTable;
  auth_tokens: AuthTokenTable;
  sip_domains: SipDomainTable;
  accounts: AccountTable;
  api_keys: ApiKeyTable;
  signing_keys: SigningKeyTable;
  shared_state: SharedStateTable;
  meta: MetaTable;
  outbox_messages: OutboxMessageTable;
  /** Sealed keys every node shares (core/secrets/server-keys.ts). */
  server_secrets: { name: string; sealed: string };
}

export type Db = Kysely<Database>;
