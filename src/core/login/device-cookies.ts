/**
 * Device cookies (OWASP's "Slow Down Online Guessing Attacks with Device Cookies"): a browser whose
 * password sign-in succeeded carries `d1.<issued>.<nonce>.<mac>`, an HMAC under a server key of the
 * email it signed in as, its issue time and a random nonce. It is not a credential (the password is
 * still checked); it only says "this browser signed in as this email before", so its password tries
 * are counted against its own allowance instead of the allowance that every other (untrusted)
 * client of that email shares. Whoever locks the untrusted clients out cannot lock this browser out.
 * Nothing is stored per cookie: the nonce names the cookie's bucket in shared state.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../../storage/database.js';
import { constantTimeEqual, sha256Hex } from '../crypto.js';
import type { Sealer } from '../secrets/envelope.js';
import { loadServerKey } from '../secrets/server-keys.js';

export const DEVICE_COOKIE = 'gh_device';
/** A browser that has not signed in for a year is a stranger again. */
export const DEVICE_COOKIE_TTL_MS = 365 * 86_400_000;
const SECRET = 'device_cookie_key';

/** The shared key (server-keys.ts). */
export const loadDeviceKey = (db: Db, sealer: Sealer): Promise<Buffer> => loadServerKey(db, sealer, 'server_secrets', SECRET);

export type DeviceCookies = ReturnType<typeof deviceCookies>;

export function deviceCookies(key: Buffer, clock: () => number = Date.now) {
  const mac = (email: string, body: string) => createHmac('sha256', key).update(`device:${sha256Hex(email)}:${body}`).digest('base64url').slice(0, 32);
  return {
    /** A new cookie for a browser that just proved the password of `email` (normalised). */
    issue(email: string): { token: string; expiresAt: number } {
      const issued = clock();
      const body = `${issued.toString(36)}.${randomBytes(12).toString('base64url')}`;
      return { token: `d1.${body}.${mac(email, body)}`, expiresAt: issued + DEVICE_COOKIE_TTL_MS };
    },
    /** The cookie's id (its nonce) when it is ours, for this email and not too old; else null. */
    deviceOf(token: string | undefined, email: string): string | null {
      const m = token ? /^d1\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{32})$/.exec(token) : null;
      if (!m) return null;
      if (!constantTimeEqual(m[3]!, mac(email, `${m[1]}.${m[2]}`))) return null;
      const age = clock() - parseInt(m[1]!, 36);
      return age >= 0 && age < DEVICE_COOKIE_TTL_MS ? m[2]! : null;
    },
  };
}
