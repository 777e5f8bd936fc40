/**
 * Which Twilio account serves a tenant: its own (or the nearest tenant's above it) when one brought
 * an account, else the deployment's (TWILIO_* settings). A tenant's auth token and API key secret are
 * sealed with the master key, bound to the tenant's row; no answer ever carries them.
 */
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { now } from '../crypto.js';
import { GatehouseError, invalid, notFound } from '../errors.js';
import { freshCache } from '../fresh-cache.js';
import { isUniqueViolation } from '../../storage/errors.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import { requireCapability } from '../roles.js';
import { VoiceErrors } from './errors.js';

const DEFAULT_BASE_URL = 'https://api.twilio.com';

export interface TwilioAccount {
  accountSid: string;
  /** Checks the signature of this account's webhooks. */
  authToken: string | null;
  apiKey: { sid: string; secret: string } | null;
  twimlAppSid: string | null;
  /** The tenant that brought this account; null for the deployment's. */
  ownerTenantId: number | null;
  /** REST: base URL, HTTP Basic credentials, timeout. */
  rest: { baseUrl: string; username: string; password: string; timeoutMs: number };
}

export interface TwilioAccountInput {
  accountSid: string;
  authToken: string;
  apiKeySid?: string | null;
  apiKeySecret?: string | null;
  twimlAppSid?: string | null;
}

/** What a tenant's own account looks like from outside: never a secret. */
export interface TwilioAccountView {
  siteId: number;
  accountSid: string;
  apiKeySid: string | null;
  twimlAppSid: string | null;
  hasApiKey: boolean;
  updatedAt: number;
}

type Row = { tenant_id: number; account_sid: string; auth_token: string; api_key_sid: string | null; api_key_secret: string | null; twiml_app_sid: string | null; updated_at: number };

export type TwilioAccounts = ReturnType<typeof createTwilioAccounts>;

export function createTwilioAccounts({ db, statements, changes, sealer, config }: CoreDeps, tenants: Tenants) {
  const deployment = config.twilio;
  const baseUrl = deployment?.baseUrl ?? DEFAULT_BASE_URL;
  const timeoutMs = deployment?.timeoutMs ?? 10_000;
  const deploymentAccount: TwilioAccount | null = deployment && {
    accountSid: deployment.accountSid,
    authToken: deployment.authToken,
    apiKey: deployment.apiKey,
    twimlAppSid: deployment.twimlAppSid,
    ownerTenantId: null,
    rest: { baseUrl, username: deployment.username, password: deployment.password, timeoutMs },
  };

  // The nearest tenant on a path that brought its own account (one statement, like the allow lists).
  const nearestOnPath = statements.prepare<Row>(
    "select v.* from voice_twilio_accounts v inner join tenants t on t.id = v.tenant_id where ? like t.path || '%' order by length(t.path) desc limit 1",
  );
  const bySid = statements.prepare<Row>('select * from voice_twilio_accounts where account_sid = ?');
  // Every webhook and token reads one of these: kept opened (core/fresh-cache.ts), as the deployment's is.
  const nearestCache = freshCache<string, { row: Row; account: TwilioAccount }>(changes);
  const bySidCache = freshCache<string, TwilioAccount>(changes);
  const nearest = (path: string) =>
    nearestCache.read(path, async () => {
      const row = await nearestOnPath.get(path);
      return row && { row, account: open(row) };
    });

  function open(row: Row): TwilioAccount {
    const tenantId = Number(row.tenant_id);
    const authToken = sealer.open(row.auth_token, `twilio_auth_token:${tenantId}`);
    const apiKey = row.api_key_sid && row.api_key_secret ? { sid: row.api_key_sid, secret: sealer.open(row.api_key_secret, `twilio_api_key_secret:${tenantId}`) } : null;
    return {
      accountSid: row.account_sid,
      authToken,
      apiKey,
      twimlAppSid: row.twiml_app_sid,
      ownerTenantId: tenantId,
      rest: { baseUrl, username: apiKey?.sid ?? row.account_sid, password: apiKey?.secret ?? authToken, timeoutMs },
    };
  }

  /** The account serving a tenant, or null when voice has no Twilio account there. */
  async function forTenant(tenant: Pick<Tenant, 'path'>): Promise<TwilioAccount | null> {
    return (await nearest(tenant.path))?.account ?? deploymentAccount;
  }

  /** The account SID serving a tenant, without unsealing anything (for isolation checks). */
  async function sidForTenant(tenant: Pick<Tenant, 'path'>): Promise<string | null> {
    return (await nearest(tenant.path))?.row.account_sid ?? deploymentAccount?.accountSid ?? null;
  }

  /** The account a webhook names by its AccountSid, or null when it is none of ours. */
  async function byAccountSid(accountSid: string | undefined): Promise<TwilioAccount | null> {
    if (!accountSid) return null;
    if (deploymentAccount && accountSid === deploymentAccount.accountSid) return deploymentAccount;
    return (await bySidCache.read(accountSid, async () => {
      const row = await bySid.get(accountSid);
      return row && open(row);
    })) ?? null;
  }

  function required(account: TwilioAccount | null, what: string): TwilioAccount {
    if (!account) throw new GatehouseError(VoiceErrors.notConfigured, `no Twilio account serves this site: ${what}`);
    return account;
  }

  async function tenantOf(caller: Caller, siteRef: number | undefined): Promise<Tenant> {
    if (siteRef !== undefined) return tenants.get(caller, siteRef);
    const own = await tenants.find(caller.tenantId);
    if (!own) throw notFound('tenant');
    return own;
  }

  const view = (row: Row): TwilioAccountView => ({
    siteId: Number(row.tenant_id),
    accountSid: row.account_sid,
    apiKeySid: row.api_key_sid,
    twimlAppSid: row.twiml_app_sid,
    hasApiKey: row.api_key_secret !== null,
    updatedAt: Number(row.updated_at),
  });

  /** A tenant brings (or replaces) its own Twilio account. */
  async function setOwn(caller: Caller, siteRef: number | undefined, input: TwilioAccountInput): Promise<TwilioAccountView> {
    requireCapability(caller, 'voice.account.manage');
    const tenant = await tenantOf(caller, siteRef);
    if (!/^AC[0-9a-fA-F]{32}$/.test(input.accountSid)) throw invalid('accountSid', 'must be AC followed by 32 hex digits');
    if (deploymentAccount && input.accountSid === deploymentAccount.accountSid) throw invalid('accountSid', "is the deployment's own Twilio account");
    if (!/^[0-9a-zA-Z]{16,64}$/.test(input.authToken)) throw invalid('authToken', 'must be the account\'s auth token (letters and digits)');
    if (Boolean(input.apiKeySid) !== Boolean(input.apiKeySecret)) throw invalid(input.apiKeySid ? 'apiKeySecret' : 'apiKeySid', 'an API key needs both apiKeySid and apiKeySecret');
    if (input.apiKeySid && !/^SK[0-9a-fA-F]{32}$/.test(input.apiKeySid)) throw invalid('apiKeySid', 'must be SK followed by 32 hex digits');
    if (input.apiKeySecret && !/^[0-9a-zA-Z]{16,64}$/.test(input.apiKeySecret)) throw invalid('apiKeySecret', 'must be the API key\'s secret (letters and digits)');
    if (input.twimlAppSid && !/^AP[0-9a-fA-F]{32}$/.test(input.twimlAppSid)) throw invalid('twimlAppSid', 'must be AP followed by 32 hex digits');
    const values = {
      account_sid: input.accountSid,
      auth_token: sealer.seal(input.authToken, `twilio_auth_token:${tenant.id}`),
      api_key_sid: input.apiKeySid ?? null,
      api_key_secret: input.apiKeySecret ? sealer.seal(input.apiKeySecret, `twilio_api_key_secret:${tenant.id}`) : null,
      twiml_app_sid: input.twimlAppSid ?? null,
      updated_at: now(),
    };
    try {
      const row = await db
        .insertInto('voice_twilio_accounts')
        .values({ tenant_id: tenant.id, ...values })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
        .returningAll()
        .executeTakeFirstOrThrow();
      return view(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw invalid('accountSid', 'is already the Twilio account of another site');
      throw err;
    }
  }

  async function getOwn(caller: Caller, siteRef: number | undefined): Promise<TwilioAccountView> {
    requireCapability(caller, 'voice.account.manage');
    const tenant = await tenantOf(caller, siteRef);
    const row = await db.selectFrom('voice_twilio_accounts').selectAll().where('tenant_id', '=', tenant.id).executeTakeFirst();
    if (!row) throw notFound('Twilio account of this site');
    return view(row);
  }

  async function removeOwn(caller: Caller, siteRef: number | undefined): Promise<void> {
    requireCapability(caller, 'voice.account.manage');
    const tenant = await tenantOf(caller, siteRef);
    const result = await db.deleteFrom('voice_twilio_accounts').where('tenant_id', '=', tenant.id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('Twilio account of this site');
  }

  return { deployment: deploymentAccount, forTenant, sidForTenant, byAccountSid, required, tenantOf, setOwn, getOwn, removeOwn };
}
