/**
 * Turns credentials into a Caller, and issues them. Each authenticate* is at most one round trip to
 * storage: secrets are looked up by their SHA-256 (they are long random strings, so a fast hash is
 * enough and nothing but the hash is stored). Basic and API-key rows are kept in a fresh cache
 * (core/fresh-cache.ts) under that same hash: a revocation is seen by the next request on this
 * process and within FRESH_MS on every other, and what the row allows (expiry, blocked, activated)
 * is decided again on every request.
 */
import { type KeyObject, createPublicKey } from 'node:crypto';
import { type JWTPayload, errors as joseErrors, jwtVerify, decodeJwt, decodeProtectedHeader } from 'jose';
import type { Selectable } from 'kysely';
import type { AccountTable } from '../../storage/database.js';
import type { AccountRole, Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { newToken, now, sha256Hex } from '../crypto.js';
import { forbidden, invalid, unauthenticated } from '../errors.js';
import type { Accounts } from '../accounts/accounts.js';
import { assertMintsNoLongerThan, mintedExpiry } from './lifetimes.js';
import { freshCache } from '../fresh-cache.js';
import { signEdDsaJwt } from './jws.js';
import type { SigningKeys } from './signing-keys.js';
import { createLastUsed } from './last-used.js';
import { creatorOf, secretPrefix } from './provenance.js';

export const API_KEY_PREFIX = 'gha_';

/**
 * Seconds an external issuer's clock may run ahead of ours: its `iat` and `nbf` may be this far in
 * the future, no further. Thirty seconds covers NTP-synchronised hosts with room to spare and gives a
 * forged far-future `iat` nothing (the lifetime is also measured from now).
 */
export const EXTERNAL_JWT_CLOCK_SKEW_SECONDS = 30;

type AccountWithTenant = Pick<Selectable<AccountTable>, 'id' | 'tenant_id' | 'role' | 'blocked' | 'activated' | 'domain'> & { tenant_sid: string; tenant_path: string };

export type Credentials = ReturnType<typeof createCredentials>;

/**
 * The algorithms an external key can verify: only asymmetric ones of its own type, so a token signed
 * with HS256 using the public key as a shared secret (algorithm confusion) is refused, not tried.
 */
function algorithmsFor(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec':
      return ['ES256', 'ES384', 'ES512'];
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      return [];
  }
}

/** The private claim holding the account's credentials generation when the token was signed. */
export const GENERATION_CLAIM = 'gh_gen';

export function createCredentials({ db, statements, changes, config, state }: CoreDeps, accounts: Accounts, signingKeys: SigningKeys) {
  const external = config.jwt.external && (() => {
    const key = createPublicKey(config.jwt.external.publicKeyPem);
    return { ...config.jwt.external, key, algorithms: algorithmsFor(key) };
  })();

  const accountQuery = () =>
    db
      .selectFrom('accounts')
      .innerJoin('tenants', 'tenants.id', 'accounts.tenant_id')
      .selectAll('accounts')
      .select(['tenants.sid as tenant_sid', 'tenants.path as tenant_path']);

  function accountCaller(row: AccountWithTenant | undefined, via: Caller['via'], expiresAt: number | null): Caller {
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
      domain: row.domain ?? null,
      via,
      expiresAt,
    };
  }

  // Every Smart 2FA request authenticates this way: a statement prepared once, its row kept fresh.
  // Keyed by the token's hash, as the table is: a Map finds it as the unique index did, and a
  // wrong token is never kept, so it costs a lookup every time.
  const generationOf = statements.prepare<{ credentials_valid_after: number | string | null }>('select credentials_valid_after from accounts where id = ?');
  const lastUsed = createLastUsed(statements, state);
  const basicTenant = statements.prepare<{ id: number; sid: string; path: string; token_id: number }>(
    'select tenants.id, tenants.sid, tenants.path, auth_tokens.id as token_id from auth_tokens inner join tenants on tenants.id = auth_tokens.tenant_id where auth_tokens.token_hash = ? and tenants.sid = ?',
  );
  const basicCache = freshCache<string, { id: number; sid: string; path: string; token_id: number }>(changes);

  /** HTTP Basic: tenant SID + auth token (the Smart 2FA scheme). */
  async function authenticateBasic(sid: string, token: string): Promise<Caller> {
    const hash = sha256Hex(token);
    const row = await basicCache.read(`${sid}:${hash}`, () => basicTenant.get(hash, sid));
    if (!row) throw unauthenticated('invalid account SID or auth token');
    lastUsed.note('auth_token', Number(row.token_id), now());
    return { tenantId: Number(row.id), tenantSid: row.sid, tenantPath: row.path, accountId: null, role: 'tenant', via: 'basic', expiresAt: null };
  }

  // Agents' requests (Comm100 faces, admin) authenticate this way: a statement prepared once too.
  const apiKeyAccount = statements.prepare<AccountWithTenant & { key_expires_at: number | null; key_id: number }>(
    `select accounts.*, tenants.sid as tenant_sid, tenants.path as tenant_path, api_keys.expires_at as key_expires_at, api_keys.id as key_id
     from accounts inner join tenants on tenants.id = accounts.tenant_id inner join api_keys on api_keys.account_id = accounts.id
     where api_keys.key_hash = ?`,
  );
  const apiKeyCache = freshCache<string, AccountWithTenant & { key_expires_at: number | null; key_id: number }>(changes);

  async function authenticateApiKey(apiKey: string): Promise<Caller> {
    const hash = sha256Hex(apiKey);
    // The row is kept, not the verdict: expiry, blocked and activated are checked on every request.
    const row = await apiKeyCache.read(hash, () => apiKeyAccount.get(hash));
    const expiresAt = row?.key_expires_at == null ? null : Number(row.key_expires_at);
    if (expiresAt !== null && expiresAt <= now()) throw unauthenticated('this API key has expired');
    const caller = accountCaller(row, 'api_key', expiresAt);
    lastUsed.note('api_key', Number(row!.key_id), now());
    return caller;
  }

  async function authenticateJwt(token: string): Promise<Caller> {
    let header: { kid?: string; alg?: string };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw unauthenticated('malformed bearer token');
    }
    if (header.kid) {
      const key = await signingKeys.publicKey(header.kid);
      if (key) {
        const payload = await verified(() => jwtVerify(token, key, { issuer: config.jwt.issuer, algorithms: ['EdDSA'], requiredClaims: ['exp', 'iat'] }));
        const id = Number(payload.sub);
        if (!Number.isInteger(id)) throw unauthenticated('bearer token has no account');
        const row = await accountQuery().where('accounts.id', '=', id).executeTakeFirst();
        // A password change or 2FA reset revokes every JWT issued before it: the token's credentials
        // generation must be the account's. Tokens signed before the claim existed carried iat in ms.
        const current = row?.credentials_valid_after == null ? 0 : Number(row.credentials_valid_after);
        const revoked = typeof payload[GENERATION_CLAIM] === 'number' ? payload[GENERATION_CLAIM] !== current : current !== 0 && Math.round(payload.iat! * 1000) < current;
        if (revoked) throw unauthenticated('bearer token was revoked');
        return accountCaller(row, 'jwt', payload.exp! * 1000);
      }
    }
    if (external) {
      // The skew lets jose accept an nbf a little ahead; exp is checked without it, below.
      const payload = await verified(() =>
        jwtVerify(token, external.key, { issuer: external.issuer, audience: external.audience, algorithms: external.algorithms, requiredClaims: ['exp'], clockTolerance: EXTERNAL_JWT_CLOCK_SKEW_SECONDS }),
      );
      assertExternalLifetime(payload, now() / 1000);
      const expiresAt = payload.exp! * 1000;
      // A SIP account is named by its address (Flexisip clients), without a tenant claim.
      const sip = typeof payload.sip_identity === 'string' ? /^(?:sips?:)?([^@\s]+)@([^@\s]+)$/.exec(payload.sip_identity) : null;
      if (sip) {
        return accountCaller(
          await accountQuery().where('accounts.domain', '=', sip[2]!.toLowerCase()).where('accounts.username', '=', sip[1]!).where('accounts.role', 'in', ['sip', 'sipadmin']).executeTakeFirst(),
          'jwt',
          expiresAt,
        );
      }
      const tenantSid = typeof payload.tenant === 'string' ? payload.tenant : '';
      const email = typeof payload.email === 'string' ? payload.email.toLowerCase() : null;
      if (email) {
        const row = await accountQuery().where('tenants.sid', '=', tenantSid).where('accounts.email', '=', email).executeTakeFirst();
        // The deployment's operator is for the deployment to say, not the identity provider (issue 22).
        if (row?.role === 'admin' && !external.asAdmin) throw forbidden('an external JWT may not act as a deployment admin (GATEHOUSE_EXTERNAL_JWT_ADMIN is off)');
        return accountCaller(row, 'jwt', expiresAt);
      }
      const tenant = await db.selectFrom('tenants').select(['id', 'sid', 'path']).where('sid', '=', tenantSid).executeTakeFirst();
      if (!tenant) throw unauthenticated('bearer token names no known tenant');
      return { tenantId: Number(tenant.id), tenantSid: tenant.sid, tenantPath: tenant.path, accountId: null, role: 'tenant', via: 'jwt', expiresAt };
    }
    throw unauthenticated('bearer token signed by an unknown key');
  }

  /**
   * An external token lives no longer than GATEHOUSE_EXTERNAL_JWT_MAX_TTL, measured two ways: from its
   * `iat` (what the issuer meant) and from now (what it can still do), so a future `iat` buys nothing;
   * `iat` and `nbf` may be ahead of our clock by the skew at most. `nowSeconds` may carry a fraction.
   */
  function assertExternalLifetime(payload: JWTPayload, nowSeconds: number): void {
    if (!external) return;
    const max = external.maxTtlSeconds;
    const exp = payload.exp!;
    if (exp <= nowSeconds) throw unauthenticated('bearer token has expired');
    for (const claim of ['iat', 'nbf'] as const) {
      const value = payload[claim];
      if (value !== undefined && value > nowSeconds + EXTERNAL_JWT_CLOCK_SKEW_SECONDS) throw unauthenticated(`bearer token's ${claim} is in the future`);
    }
    // From iat; and from now, with the skew the issuer's clock is allowed (so its own maximum passes).
    if (exp - (payload.iat ?? nowSeconds) > max || exp - nowSeconds > max + EXTERNAL_JWT_CLOCK_SKEW_SECONDS) {
      throw unauthenticated(`bearer token lives longer than ${max} s`);
    }
  }

  /**
   * A JWT for an account, signed by Gatehouse. Internal: login flows call it after checking the person.
   * `iat`, `nbf` and `exp` are whole seconds (strict parsers refuse fractions); revocation does not
   * compare dates but the account's credentials generation, carried in the token, so a revocation
   * refuses exactly the tokens signed before it, even within the same second. `notAfter` caps `exp` (ms).
   */
  async function signJwt(accountId: number, claims: Record<string, unknown> = {}, notAfter: number | null = null): Promise<{ token: string; expiresAt: number }> {
    const { kid, key } = signingKeys.current();
    // A prepared statement, not Kysely: on SQLite a Kysely query commits the open write group first, and
    // the sign-in that calls this has just written (its code claim), so that would cost every sign-in a commit.
    const row = await generationOf.get(accountId);
    const generation = row?.credentials_valid_after == null ? 0 : Number(row.credentials_valid_after);
    const iat = Math.floor(now() / 1000);
    let exp = iat + config.jwt.ttlSeconds;
    if (notAfter !== null) exp = Math.min(exp, Math.floor(notAfter / 1000));
    const token = signEdDsaJwt({ ...claims, iss: config.jwt.issuer, sub: String(accountId), iat, nbf: iat, exp, [GENERATION_CLAIM]: generation, jti: newToken('') }, kid, key);
    return { token, expiresAt: exp * 1000 };
  }

  /**
   * The same session under the account's next credentials generation (a password change keeps the
   * session that made it). Called before the change, while the token is still good: it checks the
   * token and answers the signing of its successor (its own claims, expiring no later than it did).
   */
  async function successorOf(token: string): Promise<() => Promise<{ token: string; expiresAt: number }>> {
    // Only Gatehouse's own tokens: an external issuer's token is not ours to extend.
    const { kid } = decodeProtectedHeader(token);
    if (!kid || !(await signingKeys.publicKey(kid))) throw unauthenticated('not a Gatehouse session');
    const caller = await authenticateJwt(token);
    if (caller.accountId === null) throw unauthenticated('bearer token has no account');
    const { iss: _iss, sub: _sub, iat: _iat, nbf: _nbf, exp, jti: _jti, aud: _aud, [GENERATION_CLAIM]: _gen, ...claims } = decodeJwt(token);
    const accountId = caller.accountId;
    return () => signJwt(accountId, claims, exp! * 1000);
  }

  /** A JWT for an account the caller may mint for (roles.ts), expiring no later than the caller's credential. */
  async function issueJwt(caller: Caller, accountId: number) {
    const account = await accounts.get(caller, accountId, 'credentials.mint');
    return signJwt(account.id, {}, mintedExpiry(caller, null));
  }

  /** A new API key for an account (shown once). No caller means the operator (CLI). */
  async function createApiKey(caller: Caller | null, input: { accountId: number; name?: string | null; expiresAt?: number | null }) {
    if (input.expiresAt != null && input.expiresAt <= now()) throw invalid('expiresAt', 'must be in the future');
    if (caller) {
      await accounts.get(caller, input.accountId, 'credentials.mint');
      assertMintsNoLongerThan(caller, input.expiresAt ?? null, 'an API key', 'expiresAt');
    }
    const apiKey = newToken(API_KEY_PREFIX);
    const row = await db
      .insertInto('api_keys')
      .values({
        account_id: input.accountId,
        key_hash: sha256Hex(apiKey),
        prefix: secretPrefix(apiKey),
        created_by: creatorOf(caller),
        name: input.name ?? null,
        created_at: now(),
        expires_at: input.expiresAt ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: Number(row.id), apiKey };
  }

  async function revokeApiKey(caller: Caller, id: number) {
    const row = await db.selectFrom('api_keys').select(['id', 'account_id']).where('id', '=', id).executeTakeFirst();
    if (!row) throw invalid('id', 'no such API key');
    await accounts.get(caller, Number(row.account_id), 'credentials.mint');
    await db.deleteFrom('api_keys').where('id', '=', id).execute();
  }

  /** Every JWT of the account issued until now stops working (a password change, a 2FA reset). */
  /**
   * A new credentials generation for the account (credentials_valid_after holds it: the time of the last
   * revocation, in ms, and always larger than the one before, so two revocations in one ms still differ).
   */
  async function revokeJwts(accountId: number): Promise<void> {
    const t = now();
    await db
      .updateTable('accounts')
      .set((eb) => ({
        credentials_valid_after: eb.case().when(eb.fn.coalesce('credentials_valid_after', eb.lit(0)), '>=', t).then(eb('credentials_valid_after', '+', 1)).else(t).end(),
      }))
      .where('id', '=', accountId)
      .execute();
  }

  /** Runs a JWT verification; whatever it refuses (alg, key type, claims, signature) is a 401. */
  async function verified(run: () => Promise<{ payload: JWTPayload }>): Promise<JWTPayload> {
    try {
      return (await run()).payload;
    } catch (err) {
      throw unauthenticated(err instanceof joseErrors.JWTExpired ? 'bearer token has expired' : 'invalid bearer token');
    }
  }

  return { lastUsed, revokeJwts, authenticateBasic, authenticateApiKey, authenticateJwt, signJwt, successorOf, issueJwt, createApiKey, revokeApiKey, jwks: () => signingKeys.jwks() };
}
