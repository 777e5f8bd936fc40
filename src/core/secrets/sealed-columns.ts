/**
 * Every column that holds an envelope, so that `gatehouse keys rotate` can re-seal them all.
 * A capability that adds a sealed column adds it here, with the same context it seals with.
 */
export interface SealedColumn {
  table: string;
  /** The primary key column, used to write each row back. */
  key: string;
  column: string;
  context: (keyValue: string | number) => string;
}

export const SEALED_COLUMNS: SealedColumn[] = [
  { table: 'signing_keys', key: 'kid', column: 'private_key', context: (kid) => `signing_key:${kid}` },
  { table: 'twofactor_configs', key: 'account_id', column: 'secret', context: (accountId) => `totp:${accountId}` },
  { table: 'smart2fa_secrets', key: 'name', column: 'sealed', context: (name) => `smart2fa_secret:${name}` },
  { table: 'voice_twilio_accounts', key: 'tenant_id', column: 'auth_token', context: (tenantId) => `twilio_auth_token:${tenantId}` },
  { table: 'voice_twilio_accounts', key: 'tenant_id', column: 'api_key_secret', context: (tenantId) => `twilio_api_key_secret:${tenantId}` },
  { table: 'sip_accounts', key: 'account_id', column: 'ha1_md5', context: (id) => `sip_ha1:MD5:${id}` },
  { table: 'sip_accounts', key: 'account_id', column: 'ha1_sha256', context: (id) => `sip_ha1:SHA-256:${id}` },
  { table: 'sip_accounts', key: 'account_id', column: 'provisioning_token', context: (id) => `sip_provisioning:${id}` },
  { table: 'sip_secrets', key: 'name', column: 'sealed', context: (name) => `sip_secret:${name}` },
  { table: 'server_secrets', key: 'name', column: 'sealed', context: (name) => `server_secret:${name}` },
  { table: 'delivery_jobs', key: 'key', column: 'payload', context: (key) => `delivery_job:${key}` },
  { table: 'webhooks', key: 'sid', column: 'secret', context: (sid) => `webhook_secret:${sid}` },
];
