/** What the CLI prints of each object: the API's fields and names, every date ISO 8601. */
import type { Account } from '../core/accounts/accounts.js';
import type { ApiKeyInfo, AuthTokenInfo } from '../core/credentials/inventory.js';
import type { Tenant } from '../core/tenants/tenants.js';

export const iso = (t: number | null | undefined): string | null => (t === null || t === undefined ? null : new Date(t).toISOString());

export const accountView = (a: Account) => ({
  id: a.id,
  tenantId: a.tenantId,
  email: a.email,
  username: a.username,
  domain: a.domain,
  phone: a.phone,
  displayName: a.displayName,
  role: a.role,
  activated: a.activated,
  blocked: a.blocked,
  createdAt: iso(a.createdAt),
  updatedAt: iso(a.updatedAt),
});
export const ACCOUNT_COLUMNS = ['id', 'tenantId', 'email', 'username', 'domain', 'role', 'activated', 'blocked', 'createdAt'];

export const tenantView = (t: Tenant) => ({ id: t.id, sid: t.sid, name: t.name, parentId: t.parentId, email: t.email, createdAt: iso(t.createdAt) });

export const apiKeyView = (k: ApiKeyInfo) => ({
  id: k.id,
  prefix: k.prefix,
  name: k.name,
  accountId: k.accountId,
  owner: k.owner,
  tenantId: k.tenantId,
  createdAt: iso(k.createdAt),
  expiresAt: iso(k.expiresAt),
  lastUsedAt: iso(k.lastUsedAt),
  createdBy: k.createdBy,
});

export const authTokenView = (t: AuthTokenInfo) => ({
  id: t.id,
  prefix: t.prefix,
  tenantId: t.tenantId,
  owner: t.owner,
  createdAt: iso(t.createdAt),
  expiresAt: null,
  lastUsedAt: iso(t.lastUsedAt),
  createdBy: t.createdBy,
});
