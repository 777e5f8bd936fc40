/**
 * Turns credentials into a Caller, and issues them. Each authenticate* is one round trip to storage:
 * secrets are looked up by their SHA-256 (they are long random strings, so a fast hash is enough and
 * nothing but the hash is stored).
 */
import { createPublicKey } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify, decodeProtectedHeader } from 'jose';
import type { Selectable } from 'kysely';
import type { AccountTable } from '../../storage/database.js';
import { type AccountRole, type Caller, forbiddenUnlessManager } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { newToken, now, sha256Hex } from '../crypto.js';
import { forbidden, invalid, unauthenticated } from '../errors.js';
import type { Accounts } from '../accounts/accounts.js';
import type { SigningKeys } from './signing-keys.js';

export const API_KEY_PREFIX = 'gha_';

type AccountWithTenant = Pick<Selectable<AccountTable>, 'id' | 'tenant_id' | 'role' | 'blocked' | 'activated'> & { tenant_sid: string; tenant_path: string };

export type Credentials = ReturnType<typeof createCredentials>;

export function createCredentials({ db, statements, config }: CoreDeps, accounts: Accounts, signingKeys: SigningKeys) {
  const external = config.jwt.external && {
    ...config.jwt.external,
    key: createPublicKey(config.jwt.external.publicKeyPem),
  };

  const accountQuery = () =>
    db
      .selectFrom('accounts')
      .innerJoin('tenants', 'tenants.id', 'accounts.tenant_id')
      .selectAll('accounts')
      .select(['tenants.sid as tenant_sid', 'tenants.path as tenant_path']);

  function accountCaller(row: AccountWithTenant | undefined, via: Caller['via']): Caller {
    if (!row) throw unauthenticated('invalid credentials');
    if (row.blocked) throw forbidden('this account is blocked');
    // A SIP account not yet activated still authenticates: activation is its confirmation state.
    if (!row.activated && row.role !== 'sip' && row.role !== 'sipadmin') throw forbidden('this account is not activated');
    return {
      tenantId: Number(row.tenant_id),
      tenantSid: row.tenant_sid,
      tenantPath: row.tenant_path,
      accountId: Number(row.id),
      role: row.role as AccountRole,
      via,
    };
  }

  // Every Smart 2FA request authenticates this way: a statement prepared once.
  const basicTenant = statements.prepare<{ id: number; sid: string; path: string }>(
    'select tenants.id, tenants.sid, tenants.path from auth_tokens inner join tenants on tenants.id = auth_tokens.tenant_id where auth_tokens.token_hash = ? and tenants.sid = ?',
  );

  /** HTTP Basic: tenant SID + auth token (the Smart 2FA scheme). */
  async function authenticateBasic(sid: string, token: string): Promise<Caller> {
    const row = await basicTenant.get(sha256Hex(token), sid);
    if (!row) throw unauthenticated('invalid account SID or auth token');
    return { tenantId: Number(row.id), tenantSid: row.sid, tenantPath: row.path, accountId: null, role: 'tenant', via: 'basic' };
  }

  // Every API-key request (the admin API, Flexisip clients) authenticates this way: prepared once.
  const apiKeyAccount = statements.prepare<AccountWithTenant & { expires_at: number | null }>(
    'select accounts.id, accounts.tenant_id, accounts.role, accounts.blocked, accounts.activated, tenants.sid as tenant_sid, tenants.path as tenant_path, api_keys.expires_at from api_keys inner join accounts on accounts.id = api_keys.account_id inner join tenants on tenants.id = accounts.tenant_id where api_keys.key_hash = ?',
  );

  async function authenticateApiKey(apiKey: string): Promise<Caller> {
    const row = await apiKeyAccount.get(sha256Hex(apiKey));
    if (row?.expires_at != null && Number(row.expires_at) <= now()) throw unauthenticated('this API key has expired');
    return accountCaller(row, 'api_key');
  }

  async function authenticateJwt(token: string): Promise<Caller> {
    let header: { kid?: string; alg?: string };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw unauthenticated('malformed bearer token');
    }
    try {
      if (header.kid) {
        const key = await signingKeys.publicKey(header.kid);
        if (key) {
          const { payload } = await jwtVerify(token, key, { issuer: config.jwt.issuer, algorithms: ['EdDSA'] });
          const id = Number(payload.sub);
          if (!Number.isInteger(id)) throw unauthenticated('bearer token has no account');
          return accountCaller(await accountQuery().where('accounts.id', '=', id).executeTakeFirst(), 'jwt');
        }
      }
      if (external) {
        const { payload } = await jwtVerify(token, external.key, { issuer: external.issuer, audience: external.audience });
        // A SIP account is named by its address (Flexisip clients), without a tenant claim.
        const sip = typeof payload.sip_identity === 'string' ? /^(?:sips?:)?([^@\s]+)@([^@\s]+)$/.exec(payload.sip_identity) : null;
        if (sip) {
          return accountCaller(
            await accountQuery().where('accounts.domain', '=', sip[2]!.toLowerCase()).where('accounts.username', '=', sip[1]!).where('accounts.role', 'in', ['sip', 'sipadmin']).executeTakeFirst(),
            'jwt',
          );
        }
        const tenantSid = typeof payload.tenant === 'string' ? payload.tenant : '';
        const email = typeof payload.email === 'string' ? payload.email.toLowerCase() : null;
        if (email) {
          return accountCaller(
            await accountQuery().where('tenants.sid', '=', tenantSid).where('accounts.email', '=', email).executeTakeFirst(),
            'jwt',
          );
        }
        const tenant = await db.selectFrom('tenants').select(['id', 'sid', 'path']).where('sid', '=', tenantSid).executeTakeFirst();
        if (!tenant) throw unauthenticated('bearer token names no known tenant');
        return { tenantId: Number(tenant.id), tenantSid: tenant.sid, tenantPath: tenant.path, accountId: null, role: 'tenant', via: 'jwt' };
      }
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) {
        throw unauthenticated(err instanceof joseErrors.JWTExpired ? 'bearer token has expired' : 'invalid bearer token');
      }
      throw err;
    }
    throw unauthenticated('bearer token signed by an unknown key');
  }

  /** A JWT for an account, signed by Gatehouse. Internal: login flows call it after checking the person. */
  async function signJwt(accountId: number, claims: Record<string, unknown> = {}): Promise<{ token: string; expiresAt: number }> {
    const { kid, key } = signingKeys.current();
    const iat = Math.floor(now() / 1000);
    const exp = iat + config.jwt.ttlSeconds;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
      .setIssuer(config.jwt.issuer)
      .setSubject(String(accountId))
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(newToken(''))
      .sign(key);
    return { token, expiresAt: exp * 1000 };
  }

  /** A JWT for an account the caller manages, or for the caller's own account. */
  async function issueJwt(caller: Caller, accountId: number) {
    if (caller.accountId !== accountId) forbiddenUnlessManager(caller);
    const account = await accounts.get(caller, accountId);
    return signJwt(account.id);
  }

  /** A new API key for an account (shown once). No caller means the operator (CLI). */
  async function createApiKey(caller: Caller | null, input: { accountId: number; name?: string | null; expiresAt?: number | null }) {
    if (caller) {
      if (caller.accountId !== input.accountId) forbiddenUnlessManager(caller);
      await accounts.get(caller, input.accountId);
    }
    if (input.expiresAt != null && input.expiresAt <= now()) throw invalid('expiresAt', 'must be in the future');
    const apiKey = newToken(API_KEY_PREFIX);
    const row = await db
      .insertInto('api_keys')
      .values({ account_id: input.accountId, key_hash: sha256Hex(apiKey), name: input.name ?? null, created_at: now(), expires_at: input.expiresAt ?? null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: Number(row.id), apiKey };
  }

  async function revokeApiKey(caller: Caller, id: number) {
    const row = await db.selectFrom('api_keys').select(['id', 'account_id']).where('id', '=', id).executeTakeFirst();
    if (!row) throw invalid('id', 'no such API key');
    if (caller.accountId !== Number(row.account_id)) forbiddenUnlessManager(caller);
    await accounts.get(caller, Number(row.account_id));
    await db.deleteFrom('api_keys').where('id', '=', id).execute();
  }

  return { authenticateBasic, authenticateApiKey, authenticateJwt, signJwt, issueJwt, createApiKey, revokeApiKey, jwks: () => signingKeys.jwks() };
}
