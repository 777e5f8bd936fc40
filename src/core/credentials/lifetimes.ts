/**
 * The lifetime rule: no credential outlives the one that minted it. Every path that makes a
 * credential from another (API keys, Gatehouse JWTs, tenant auth tokens, Flexisip auth and account
 * creation tokens, Twilio Access Tokens) asks this file, on every face, so there is one rule.
 *
 * Two ways to apply it, one limit: where the client names the new credential's expiry (the admin
 * face's `expiresAt`), a later one is refused, so the client learns why; where the wire has no such
 * field (Flexisip's api_key, the Twilio token, a JWT), the new credential is capped to the limit.
 * Expiries are epoch milliseconds; null means never.
 */
import type { Caller } from '../callers.js';
import { forbidden, invalid, unauthenticated } from '../errors.js';

type Expiring = Pick<Caller, 'expiresAt'>;

/** The earlier of two expiries; null (never) only when both are. */
export function earliest(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null) return b ?? null;
  if (b == null) return a;
  return Math.min(a, b);
}

/**
 * Refuses a credential asked to expire after the one minting it (or never, when that one expires).
 * With `field` the refusal is a 400 naming it (the caller can ask for a shorter lifetime), else a 403.
 */
export function assertMintsNoLongerThan(caller: Expiring, expiresAt: number | null, what: string, field?: string): void {
  const limit = caller.expiresAt ?? null;
  if (limit === null || (expiresAt !== null && expiresAt <= limit)) return;
  const message = `${what} may not outlive the credential that mints it (${new Date(limit).toISOString()})`;
  throw field ? invalid(field, message) : forbidden(message);
}

/** Whether a credential expiring at `expiresAt` (null: never) has expired at `at`: what it granted then yields nothing. */
export function hasExpired(expiresAt: number | null, at: number): boolean {
  return expiresAt !== null && expiresAt <= at;
}

/** The expiry a new credential gets when the wire cannot ask for one: `wanted`, cut to the minting credential's. */
export function mintedExpiry(limit: Expiring | number | null, wanted: number | null): number | null {
  return earliest(typeof limit === 'object' && limit !== null ? limit.expiresAt : limit, wanted);
}

/**
 * Whole seconds a new credential may live from `at` (ms): `wantedSeconds`, cut to what is left of the
 * minting credential. Rounded down, so `floor(at / 1000) + the answer` never passes the limit; under
 * a second left is a 401 (the caller must renew its credential first).
 */
export function mintedTtlSeconds(caller: Expiring, wantedSeconds: number, at: number): number {
  const limit = caller.expiresAt ?? null;
  if (limit === null) return wantedSeconds;
  const left = Math.floor((limit - at) / 1000);
  if (left < 1) throw unauthenticated('the credential expires within a second: renew it first');
  return Math.min(wantedSeconds, left);
}
