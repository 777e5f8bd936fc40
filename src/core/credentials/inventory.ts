/**
 * The credentials that exist, without their secrets: API keys (an account's) and auth tokens (a
 * tenant's), each with the first characters of its secret, its owner, when it was made and by whom,
 * when it expires and when it was last used; and their revocation, one or all of an owner's. A leaked
 * key is found by its prefix and revoked here; the secret itself is never stored, so never shown.
 *
 * Reach (roles.ts, `credentials.read`): an API key is listed when the caller may act on its account
 * (its own; with `all` or `domain`, the accounts in reach of a role it acts on). Auth tokens are a
 * tenant's own credentials: listed only for a caller whose scope is `all` (then the tenants in its
 * reach). Revoking needs `credentials.mint` (keys) or `tenants.manage` (tokens), as minting does. No
 * caller means the operator (CLI).
 */
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { forbidden, notFound } from '../errors.js';
import { ACTS_ON, ROLE_TITLES, requireCapability } from '../roles.js';
import type { Accounts } from '../accounts/accounts.js';
import type { Tenants } from '../tenants/tenants.js';

/** Who made a credential, resolved for display. */
export interface Creator {
  kind: 'account' | 'tenant' | 'operator' | 'unknown';
  id: number | null;
  /** An account's email or username, a tenant's name; "operator (CLI)"; "unknown (made before this was recorded)". */
  label: string;
}

export interface ApiKeyInfo {
  id: number;
  prefix: string | null;
  name: string | null;
  accountId: number;
  /** The owner account's email, else its username. */
  owner: string;
  ownerRole: string;
  tenantId: number;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  createdBy: Creator;
}

export interface AuthTokenInfo {
  id: number;
  prefix: string | null;
  tenantId: number;
  tenantSid: string;
  /** The owner tenant's name. */
  owner: string;
  createdAt: number;
  lastUsedAt: number | null;
  createdBy: Creator;
}

export type CredentialInventory = ReturnType<typeof createCredentialInventory>;

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export function createCredentialInventory({ db }: CoreDeps, accounts: Accounts, tenants: Tenants) {
  /** created_by values resolved in two queries for a whole list. */
  async function creators(values: Array<string | null>): Promise<(v: string | null) => Creator> {
    const ids = (kind: string) => [...new Set(values.filter((v): v is string => v?.startsWith(`${kind}:`) ?? false).map((v) => Number(v.slice(kind.length + 1))))];
    const accountIds = ids('account');
    const tenantIds = ids('tenant');
    const people = accountIds.length ? await db.selectFrom('accounts').select(['id', 'email', 'username']).where('id', 'in', accountIds).execute() : [];
    const groups = tenantIds.length ? await db.selectFrom('tenants').select(['id', 'name']).where('id', 'in', tenantIds).execute() : [];
    const person = new Map(people.map((p) => [Number(p.id), p.email ?? p.username ?? `account ${p.id}`]));
    const group = new Map(groups.map((g) => [Number(g.id), g.name]));
    return (v) => {
      if (v === null) return { kind: 'unknown', id: null, label: 'unknown (made before this was recorded)' };
      if (v === 'operator') return { kind: 'operator', id: null, label: 'operator (CLI)' };
      const [kind, raw] = v.split(':') as ['account' | 'tenant', string];
      const id = Number(raw);
      const label = kind === 'account' ? person.get(id) ?? `account ${id} (deleted)` : `tenant ${group.get(id) ?? `${id} (deleted)`}`;
      return { kind, id, label };
    };
  }

  /** The API keys the caller may see, optionally of one tenant or one account. */
  async function listApiKeys(caller: Caller | null, filter: { tenant?: string | number; accountId?: number } = {}): Promise<ApiKeyInfo[]> {
    let query = db
      .selectFrom('api_keys')
      .innerJoin('accounts', 'accounts.id', 'api_keys.account_id')
      .innerJoin('tenants', 'tenants.id', 'accounts.tenant_id')
      .select([
        'api_keys.id', 'api_keys.prefix', 'api_keys.name', 'api_keys.account_id', 'api_keys.created_at', 'api_keys.expires_at', 'api_keys.last_used_at', 'api_keys.created_by',
        'accounts.email', 'accounts.username', 'accounts.role', 'accounts.tenant_id',
      ])
      .orderBy('api_keys.id');
    if (filter.accountId !== undefined) {
      if (caller) await accounts.get(caller, filter.accountId, 'credentials.read');
      else if (!(await db.selectFrom('accounts').select('id').where('id', '=', filter.accountId).executeTakeFirst())) throw notFound('account');
      query = query.where('api_keys.account_id', '=', filter.accountId);
    } else if (caller) {
      const scope = requireCapability(caller, 'credentials.read');
      const own = caller.accountId ?? 0;
      const actsOn = ACTS_ON[caller.role].length ? [...ACTS_ON[caller.role]] : ['-'];
      query = query.where((eb) => {
        if (scope === 'own') return eb('api_keys.account_id', '=', own);
        const others = [eb('accounts.role', 'in', actsOn)];
        if (caller.role !== 'admin') others.push(eb('tenants.path', 'like', `${caller.tenantPath}%`));
        if (scope === 'domain') others.push(eb('accounts.domain', '=', caller.domain || '\0'));
        return eb.or([eb.and(others), eb('api_keys.account_id', '=', own)]);
      });
    }
    if (filter.tenant !== undefined) {
      const tenant = caller ? await tenants.get(caller, filter.tenant) : await tenants.find(filter.tenant);
      if (!tenant) throw notFound('tenant');
      query = query.where('accounts.tenant_id', '=', tenant.id);
    }
    const rows = await query.execute();
    const creator = await creators(rows.map((r) => r.created_by));
    return rows.map((r) => ({
      id: Number(r.id),
      prefix: r.prefix,
      name: r.name,
      accountId: Number(r.account_id),
      owner: r.email ?? r.username ?? `account ${r.account_id}`,
      ownerRole: r.role,
      tenantId: Number(r.tenant_id),
      createdAt: Number(r.created_at),
      expiresAt: num(r.expires_at),
      lastUsedAt: num(r.last_used_at),
      createdBy: creator(r.created_by),
    }));
  }

  /** The auth tokens of the tenants the caller reaches (a caller whose `credentials.read` scope is `all`). */
  async function listAuthTokens(caller: Caller | null, filter: { tenant?: string | number } = {}): Promise<AuthTokenInfo[]> {
    if (caller && requireCapability(caller, 'credentials.read') !== 'all') {
      throw forbidden(`a ${ROLE_TITLES[caller.role]} may not list a tenant's auth tokens`);
    }
    let query = db
      .selectFrom('auth_tokens')
      .innerJoin('tenants', 'tenants.id', 'auth_tokens.tenant_id')
      .select(['auth_tokens.id', 'auth_tokens.prefix', 'auth_tokens.tenant_id', 'auth_tokens.created_at', 'auth_tokens.last_used_at', 'auth_tokens.created_by', 'tenants.sid', 'tenants.name'])
      .orderBy('auth_tokens.id');
    if (caller && caller.role !== 'admin') query = query.where('tenants.path', 'like', `${caller.tenantPath}%`);
    if (filter.tenant !== undefined) {
      const tenant = caller ? await tenants.get(caller, filter.tenant) : await tenants.find(filter.tenant);
      if (!tenant) throw notFound('tenant');
      query = query.where('auth_tokens.tenant_id', '=', tenant.id);
    }
    const rows = await query.execute();
    const creator = await creators(rows.map((r) => r.created_by));
    return rows.map((r) => ({
      id: Number(r.id),
      prefix: r.prefix,
      tenantId: Number(r.tenant_id),
      tenantSid: r.sid,
      owner: r.name,
      createdAt: Number(r.created_at),
      lastUsedAt: num(r.last_used_at),
      createdBy: creator(r.created_by),
    }));
  }

  /** One API key (by id) revoked; 404 when there is none the caller may see. */
  async function revokeApiKey(caller: Caller | null, id: number): Promise<void> {
    const row = await db.selectFrom('api_keys').select(['id', 'account_id']).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('API key');
    if (caller) await accounts.get(caller, Number(row.account_id), 'credentials.mint');
    await db.deleteFrom('api_keys').where('id', '=', id).execute();
  }

  /** Every API key of an account revoked; answers how many. */
  async function revokeApiKeysOf(caller: Caller | null, accountId: number): Promise<number> {
    if (caller) await accounts.get(caller, accountId, 'credentials.mint');
    else if (!(await db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst())) throw notFound('account');
    const result = await db.deleteFrom('api_keys').where('account_id', '=', accountId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** One auth token (by id) revoked, whichever tenant owns it; 404 when there is none the caller may see. */
  async function revokeAuthToken(caller: Caller | null, id: number): Promise<void> {
    const row = await db.selectFrom('auth_tokens').select(['id', 'tenant_id']).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('auth token');
    if (caller) await tenants.revokeAuthToken(caller, Number(row.tenant_id), id);
    else await db.deleteFrom('auth_tokens').where('id', '=', id).execute();
  }

  /** Every auth token of a tenant revoked; answers how many. Its SID then authenticates nothing until a new token is added. */
  async function revokeAuthTokensOf(caller: Caller | null, tenantRef: string | number): Promise<number> {
    if (caller) requireCapability(caller, 'tenants.manage');
    const tenant = caller ? await tenants.get(caller, tenantRef) : await tenants.find(tenantRef);
    if (!tenant) throw notFound('tenant');
    const result = await db.deleteFrom('auth_tokens').where('tenant_id', '=', tenant.id).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  return { listApiKeys, listAuthTokens, revokeApiKey, revokeApiKeysOf, revokeAuthToken, revokeAuthTokensOf };
}
