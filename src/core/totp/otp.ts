/** HOTP (RFC 4226) and TOTP (RFC 6238): pure functions of a key, a counter or a time, and options. */
import { createHmac } from 'node:crypto';

export type OtpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface TotpOptions {
  algorithm?: OtpAlgorithm;
  digits?: number;
  /** Seconds per step. */
  period?: number;
  /** Steps accepted either side of the current one (clock drift, typing time). */
  window?: number;
}

export const TOTP_DEFAULTS = { algorithm: 'SHA1', digits: 6, period: 30, window: 1 } as const satisfies Required<TotpOptions>;

const HMAC_NAME: Record<OtpAlgorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

export function hotp(key: Uint8Array, counter: number | bigint, digits = 6, algorithm: OtpAlgorithm = 'SHA1'): string {
  return String(hotpValue(key, counter, digits, algorithm, Buffer.alloc(8))).padStart(digits, '0');
}

/** HOTP as a number (its code is this, zero-padded to `digits`); `message` is 8 bytes of scratch. */
function hotpValue(key: Uint8Array, counter: number | bigint, digits: number, algorithm: OtpAlgorithm, message: Buffer): number {
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) throw new RangeError('digits must be 6 to 10');
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(HMAC_NAME[algorithm], key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  return (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
}

/** The TOTP time step of an instant (milliseconds since the epoch). */
export function timeStep(timeMs: number, period: number = TOTP_DEFAULTS.period): number {
  return Math.floor(timeMs / 1000 / period);
}

export function totp(key: Uint8Array, timeMs: number, options: TotpOptions = {}): string {
  const { algorithm, digits, period } = { ...TOTP_DEFAULTS, ...options };
  return hotp(key, timeStep(timeMs, period), digits, algorithm);
}

/**
 * The time step whose code equals `code` within the window around `timeMs`, newest first, or null.
 * Every candidate is computed and compared, and the comparison is of two integers (no early exit),
 * so the answer's timing says nothing about which step (if any) matched. Callers use the step to
 * refuse a replay.
 */
export function matchingStep(key: Uint8Array, code: string, timeMs: number, options: TotpOptions = {}): number | null {
  const { algorithm, digits, period, window } = { ...TOTP_DEFAULTS, ...options };
  // -1 matches no code: a malformed one is still checked against every step, for the timing.
  const given = code.length === digits && /^\d+$/.test(code) ? Number(code) : -1;
  const message = Buffer.alloc(8);
  const current = timeStep(timeMs, period);
  let found: number | null = null;
  for (let step = current + window; step >= current - window; step--) {
    if (step < 0) continue;
    const equal = hotpValue(key, step, digits, algorithm, message) === given;
    if (equal && found === null) found = step;
  }
  return found;
}
