/**
 * The Flexisip tokens: account creation request tokens (validated, then exchanged), account creation
 * tokens (one account each) and auth tokens (attached to an account, then exchanged for an API key).
 * Only their SHA-256 is stored; each is shown once, when made.
 */
import type { CoreDeps } from '../context.js';
import { mintedExpiry } from '../credentials/lifetimes.js';
import { now, sha256Hex } from '../crypto.js';
import { randomBytes } from 'node:crypto';

export type TokenKind = 'request' | 'creation' | 'auth';

export const TOKEN_TTL_MS: Record<TokenKind, number> = {
  request: 24 * 3600_000,
  creation: 24 * 3600_000,
  auth: 5 * 60_000,
};

export interface TokenRow {
  id: number;
  kind: string;
  domain: string | null;
  accountId: number | null;
  validatedAt: number | null;
  usedAt: number | null;
  expiresAt: number;
  /** When the credential that attached or validated the token expires (null: never): what it yields expires no later. */
  grantorExpiresAt: number | null;
}

export const newTokenText = () => randomBytes(24).toString('base64url');

export function createTokens({ db }: CoreDeps) {
  /** `notAfter`: the expiry of the credential the token comes from; the token expires no later. */
  async function issue(kind: TokenKind, fields: { domain?: string | null; accountId?: number | null; pn?: { provider: string; param: string; prid: string }; notAfter?: number | null } = {}) {
    const token = newTokenText();
    const t = now();
    const expiresAt = mintedExpiry(fields.notAfter ?? null, t + TOKEN_TTL_MS[kind])!;
    const row = await db
      .insertInto('sip_tokens')
      .values({
        kind,
        token_hash: sha256Hex(token),
        domain: fields.domain ?? null,
        account_id: fields.accountId ?? null,
        validated_at: null,
        used_at: null,
        pn_provider: fields.pn?.provider ?? null,
        pn_param: fields.pn?.param ?? null,
        pn_prid: fields.pn?.prid ?? null,
        created_at: t,
        expires_at: expiresAt,
        grantor_expires_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: Number(row.id), token, expiresAt };
  }

  /** A live (unexpired, unused) token of a kind; undefined otherwise. */
  async function live(kind: TokenKind, token: string): Promise<TokenRow | undefined> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 200) return undefined;
    const row = await db.selectFrom('sip_tokens').selectAll().where('token_hash', '=', sha256Hex(token)).where('kind', '=', kind).executeTakeFirst();
    if (!row || row.used_at !== null || Number(row.expires_at) <= now()) return undefined;
    return {
      id: Number(row.id),
      kind: row.kind,
      domain: row.domain,
      accountId: row.account_id === null ? null : Number(row.account_id),
      validatedAt: row.validated_at === null ? null : Number(row.validated_at),
      usedAt: null,
      expiresAt: Number(row.expires_at),
      grantorExpiresAt: row.grantor_expires_at === null ? null : Number(row.grantor_expires_at),
    };
  }

  /** Spends a token once: false when another request spent it first. */
  async function spend(id: number, accountId?: number): Promise<boolean> {
    const r = await db
      .updateTable('sip_tokens')
      .set({ used_at: now(), ...(accountId !== undefined && { account_id: accountId }) })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** `grantorExpiresAt`: when the validating credential expires (null: never, or no credential: a delivered push). */
  async function validate(id: number, grantorExpiresAt: number | null = null): Promise<void> {
    await db.updateTable('sip_tokens').set({ validated_at: now(), grantor_expires_at: grantorExpiresAt }).where('id', '=', id).execute();
  }

  /**
   * Ties a token to an account: an auth token to the account that attaches it (`grantorExpiresAt`: when
   * the attaching credential expires; the key it is exchanged for expires no later), a spent creation
   * token to the account it made.
   */
  async function attach(id: number, accountId: number, grantorExpiresAt?: number | null): Promise<void> {
    await db
      .updateTable('sip_tokens')
      .set({ account_id: accountId, ...(grantorExpiresAt !== undefined && { grantor_expires_at: grantorExpiresAt }) })
      .where('id', '=', id)
      .execute();
  }

  /** Creation tokens sent to one device: delivered ones and all attempts. */
  async function pushHistory(prid: string): Promise<{ delivered: number; attempts: number }> {
    const rows = await db.selectFrom('sip_tokens').select(['validated_at']).where('kind', '=', 'creation').where('pn_prid', '=', prid).execute();
    return { delivered: rows.filter((r) => r.validated_at !== null).length, attempts: rows.length };
  }

  async function remove(id: number): Promise<void> {
    await db.deleteFrom('sip_tokens').where('id', '=', id).execute();
  }

  return { issue, live, spend, validate, attach, pushHistory, remove };
}

export type Tokens = ReturnType<typeof createTokens>;
