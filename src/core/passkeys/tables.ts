/** The tables of passkeys (migration 0022_passkeys). */
import type { Generated } from 'kysely';

export interface PasskeyTable {
  id: Generated<number>;
  account_id: number;
  /** base64url of the credential id. */
  credential_id: string;
  /** base64url of the COSE public key (not a secret: it only checks signatures). */
  public_key: string;
  /** The authenticator's signature counter as last seen; it must grow (or stay 0 on authenticators without one). */
  counter: number;
  /** Comma-separated AuthenticatorTransport values the browser reported. */
  transports: string;
  backed_up: number;
  /** singleDevice or multiDevice (synced). */
  device_type: string;
  aaguid: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export interface PasskeySitePolicyTable {
  tenant_id: number;
  /** 1: the site's agents must sign in with a passkey (phishing-resistant only). */
  phishing_resistant: number;
  updated_at: number;
}

export interface PasskeyTables {
  passkeys: PasskeyTable;
  passkey_site_policies: PasskeySitePolicyTable;
}
