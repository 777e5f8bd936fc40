/**
 * Trusted devices: after a second factor, an agent may ask not to be asked again on this device for
 * 14 days (site policy 2FARequirement 1). The device keeps an opaque Verifiedtoken; only its sha256
 * is stored, bound to the account, so a stolen table row cannot be replayed and a token of one
 * account skips nothing for another. An agent lists and revokes its own; whoever manages an
 * account (its super agent, its tenant, an admin) lists and revokes that account's.
 */
import { type Audit, auditDetailText } from '../audit/audit.js';
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
  lastUsedAt: number | null;
}

export type TrustedDevices = ReturnType<typeof createTrustedDevices>;

/** A device expired for a day or more is dropped (on each issue), so the table does not grow without end. */
const SWEEP_AFTER_MS = 86_400_000;

export function createTrustedDevices({ db, dialect, statements }: CoreDeps, twoFactor: TwoFactor, audit: Audit) {
  // Issuing and accepting a device are on the login and endlogin hot paths: prepared once
  // (storage/statements.ts). Issuing is one statement on PostgreSQL (the audit row and the sweep
  // in CTEs) and, on SQLite, three in one turn, so one group commit.
  const insert = 'insert into trusted_devices (account_id, token_hash, client_address, user_agent, created_at, expires_at) values (?, ?, ?, ?, ?, ?) returning id';
  const auditRow = "insert into audit_events (tenant_id, account_id, event, client_address, detail, created_at)";
  const sweepSql = 'delete from trusted_devices where expires_at < ?';
  const accept = statements.prepare<{ expires_at: number | string }>(
    'update trusted_devices set last_used_at = ? where token_hash = ? and account_id = ? and expires_at > ? returning expires_at',
  );
  const sweepStatement = statements.prepare(sweepSql);
  let store: (account: { id: number; tenantId: number }, hash: string, clientAddress: string | null, userAgent: string | null, at: number, expiresAt: number) => Promise<void>;
  if (dialect === 'postgres') {
    const issuing = statements.prepare(
      `with i as (${insert}, account_id, client_address, created_at),
       a as (${auditRow} select $7::integer, account_id, 'trusted_device_issued', client_address, '{"deviceId":' || id || '}', created_at from i),
       w as (delete from trusted_devices where expires_at < $8::bigint)
       select id from i`,
    );
    store = async (account, hash, clientAddress, userAgent, at, expiresAt) => {
      await issuing.run(account.id, hash, clientAddress, userAgent, at, expiresAt, account.tenantId, at - SWEEP_AFTER_MS);
    };
  } else {
    const inserting = statements.prepare<{ id: number }>(insert);
    const auditing = statements.prepare(`${auditRow} values (?, ?, 'trusted_device_issued', ?, ?, ?)`);
    store = async (account, hash, clientAddress, userAgent, at, expiresAt) => {
      const row = (await inserting.get(account.id, hash, clientAddress, userAgent, at, expiresAt))!;
      await auditing.run(account.tenantId, account.id, clientAddress, auditDetailText({ deviceId: Number(row.id) }), at);
      await sweepStatement.run(at - SWEEP_AFTER_MS);
    };
  }

  /** A new Verifiedtoken for the account (the only time it is seen). */
  async function issue(account: { id: number; tenantId: number }, clientAddress: string | null, userAgent: string | null) {
    const token = newToken(VERIFIED_TOKEN_PREFIX);
    const createdAt = now();
    const expiresAt = createdAt + TRUSTED_DEVICE_TTL_MS;
    await store(account, sha256Hex(token), clientAddress, userAgent ? userAgent.slice(0, 200) : null, createdAt, expiresAt);
    return { token, expiresAt };
  }

  /**
   * Until when a Verifiedtoken trusts this account's device; null when it does not (unknown, another
   * account's, expired). One statement checks the device and records its use (shown on My security).
   */
  async function trustedUntil(accountId: number, token: string | undefined): Promise<number | null> {
    if (!token || token.length > 200 || !token.startsWith(VERIFIED_TOKEN_PREFIX)) return null;
    const t = now();
    const row = await accept.get(t, sha256Hex(token), accountId, t);
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
      lastUsedAt: r.last_used_at == null ? null : Number(r.last_used_at),
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

  /** Forgets every device of an account, without a caller: its password changed or its 2FA was reset. */
  async function forgetAll(accountId: number): Promise<void> {
    await db.deleteFrom('trusted_devices').where('account_id', '=', accountId).execute();
  }

  /** Drops devices expired for a day or more. */
  async function sweep(): Promise<void> {
    await sweepStatement.run(now() - SWEEP_AFTER_MS);
  }

  return { issue, trustedUntil, list, revoke, revokeAll, forgetAll, sweep };
}
