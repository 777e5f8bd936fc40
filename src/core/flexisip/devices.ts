/**
 * The device registry: what a SIP registrar reports about each registration (instance uuid, contact,
 * user agent, expiry), read by GET /api/accounts/me/devices. Removing a device also asks the
 * registrar to drop it, when one is wired (RegistrarControl).
 */
import type { CoreDeps } from '../context.js';
import { now } from '../crypto.js';
import { notFound } from '../errors.js';

/** What a registrar offers Gatehouse: dropping one registration of an address of record. */
export interface RegistrarControl {
  remove(aor: string, uuid: string): Promise<void>;
}

export interface Device {
  uuid: string;
  contact: string;
  userAgent: string | null;
  expiresAt: number;
  updatedAt: number;
}

export interface Registration {
  username: string;
  domain: string;
  uuid: string;
  contact: string;
  userAgent: string | null;
  /** Seconds; 0 removes the device. */
  expires: number;
}

export function createDevices({ db }: CoreDeps, registrar: RegistrarControl | null) {
  async function list(accountId: number): Promise<Device[]> {
    const rows = await db.selectFrom('sip_devices').selectAll().where('account_id', '=', accountId).where('expires_at', '>', now()).orderBy('updated_at', 'desc').execute();
    return rows.map((r) => ({ uuid: r.uuid, contact: r.contact, userAgent: r.user_agent, expiresAt: Number(r.expires_at), updatedAt: Number(r.updated_at) }));
  }

  async function remove(account: { id: number; username: string; domain: string }, uuid: string): Promise<void> {
    const r = await db.deleteFrom('sip_devices').where('account_id', '=', account.id).where('uuid', '=', uuid).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw notFound('device');
    if (registrar) await registrar.remove(`sip:${account.username}@${account.domain}`, uuid);
  }

  /** A registrar's report. Answers false when no account has that address. */
  async function register(input: Registration): Promise<boolean> {
    const account = await db.selectFrom('accounts').select('id').where('domain', '=', input.domain.toLowerCase()).where('username', '=', input.username).executeTakeFirst();
    if (!account) return false;
    const accountId = Number(account.id);
    if (input.expires <= 0) {
      await db.deleteFrom('sip_devices').where('account_id', '=', accountId).where('uuid', '=', input.uuid).execute();
      return true;
    }
    const t = now();
    const values = { contact: input.contact, user_agent: input.userAgent?.slice(0, 300) ?? null, expires_at: t + input.expires * 1000, updated_at: t };
    await db
      .insertInto('sip_devices')
      .values({ account_id: accountId, uuid: input.uuid, ...values })
      .onConflict((oc) => oc.columns(['account_id', 'uuid']).doUpdateSet(values))
      .execute();
    return true;
  }

  return { list, remove, register };
}

export type Devices = ReturnType<typeof createDevices>;
