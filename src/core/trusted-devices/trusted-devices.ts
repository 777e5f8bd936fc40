/**
 * Trusted devices: after a second factor, an agent may ask not to be asked again on this device for
 * 14 days (site policy 2FARequirement 1). The device keeps an opaque Verifiedtoken; only its sha256
 * is stored, bound to the account, so a stolen table row cannot be replayed and a token of one
 * account skips nothing for another. An agent lists and revokes its own; whoever manages an
 * account (its super agent, its tenant, an admin) lists and revokes that account's.
 */
import type { Audit } from '../audit/audit.js';
import type { Caller } from '../callers.js';
import type { CoreDeps } from '../context.js';
import { newToken, now, sha256Hex } from '../crypto.js';
import { notFound } from '../errors.js';
import type { TwoFactor } from '../twofactor/twofactor.js';

export const TRUSTED_DEVICE_TTL_MS = 14 * 24 * 60 * 60 * 1000;
export const VERIFIED_TOKEN_PREFIX = 'ghv_';

export interface TrustedDevice {
  id: number;
  accountId: number;
  clientAddress: string | null;
  userAgent: string | null;
  createdAt: number;
  expiresAt: number;
}

export type TrustedDevices = ReturnType<typeof createTrustedDevices>;

export function createTrustedDevices({ db }: CoreDeps, twoFactor: TwoFactor, audit: Audit) {
  /** A new Verifiedtoken for the account (the only time it is seen). */
  async function issue(account: { id: number; tenantId: number }, clientAddress: string | null, userAgent: string | null) {
    const token = newToken(VERIFIED_TOKEN_PREFIX);
    const createdAt = now();
    const expiresAt = createdAt + TRUSTED_DEVICE_TTL_MS;
    const row = await db
      .insertInto('trusted_devices')
      .values({
        account_id: account.id,
        token_hash: sha256Hex(token),
        client_address: clientAddress,
        user_agent: userAgent ? userAgent.slice(0, 200) : null,
        created_at: createdAt,
        expires_at: expiresAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await audit.record({ tenantId: account.tenantId, accountId: account.id, event: 'trusted_device_issued', clientAddress, detail: { deviceId: Number(row.id) } });
    await sweep();
    return { token, expiresAt };
  }

  /** True when the token was issued to this account, is unexpired and not revoked. */
  /** Until when a Verifiedtoken trusts this account's device; null when it does not (unknown, another account's, expired). */
  async function trustedUntil(accountId: number, token: string | undefined): Promise<number | null> {
    if (!token || token.length > 200 || !token.startsWith(VERIFIED_TOKEN_PREFIX)) return null;
    const row = await db
      .selectFrom('trusted_devices')
      .select('expires_at')
      .where('token_hash', '=', sha256Hex(token))
      .where('account_id', '=', accountId)
      .where('expires_at', '>', now())
      .executeTakeFirst();
    return row ? Number(row.expires_at) : null;
  }

  /** The unexpired devices of an account the caller manages (or its own when none is named). */
  async function list(caller: Caller, accountId?: number): Promise<TrustedDevice[]> {
    const target = await twoFactor.manage.account(caller, accountId, 'any');
    const rows = await db
      .selectFrom('trusted_devices')
      .selectAll()
      .where('account_id', '=', target.id)
      .where('expires_at', '>', now())
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      accountId: Number(r.account_id),
      clientAddress: r.client_address,
      userAgent: r.user_agent,
      createdAt: Number(r.created_at),
      expiresAt: Number(r.expires_at),
    }));
  }

  /** Revokes one device; a device of an account outside the caller's reach is refused. */
  async function revoke(caller: Caller, id: number, clientAddress: string | null): Promise<void> {
    const row = await db.selectFrom('trusted_devices').select('account_id').where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('trusted device');
    const target = await twoFactor.manage.account(caller, Number(row.account_id), 'any');
    const deleted = await db.deleteFrom('trusted_devices').where('id', '=', id).executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw notFound('trusted device');
    await audit.record({
      tenantId: target.tenantId,
      accountId: target.id,
      event: 'trusted_device_revoked',
      clientAddress,
      detail: { deviceId: id, actorAccountId: caller.accountId },
    });
  }

  /** Revokes every device of an account; answers how many there were. */
  async function revokeAll(caller: Caller, accountId: number | undefined, clientAddress: string | null): Promise<number> {
    const target = await twoFactor.manage.account(caller, accountId, 'any');
    const deleted = await db.deleteFrom('trusted_devices').where('account_id', '=', target.id).executeTakeFirst();
    const count = Number(deleted.numDeletedRows);
    if (count > 0) {
      await audit.record({
        tenantId: target.tenantId,
        accountId: target.id,
        event: 'trusted_device_revoked',
        clientAddress,
        detail: { count, actorAccountId: caller.accountId },
      });
    }
    return count;
  }

  /** Drops devices expired for a day or more (on each issue), so the table does not grow without end. */
  async function sweep(): Promise<void> {
    await db.deleteFrom('trusted_devices').where('expires_at', '<', now() - 86_400_000).execute();
  }

  return { issue, trustedUntil, list, revoke, revokeAll, sweep };
}
