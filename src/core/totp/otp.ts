/** HOTP (RFC 4226) and TOTP (RFC 6238): pure functions of a key, a counter or a time, and options. */
import { createHmac, timingSafeEqual } from 'node:crypto';

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
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) throw new RangeError('digits must be 6 to 10');
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(HMAC_NAME[algorithm], key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(binary).padStart(digits, '0');
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
 * Every candidate is computed and compared in constant time, so the answer's timing says nothing
 * about which step (if any) matched. Callers use the step to refuse a replay.
 */
export function matchingStep(key: Uint8Array, code: string, timeMs: number, options: TotpOptions = {}): number | null {
  const { algorithm, digits, period, window } = { ...TOTP_DEFAULTS, ...options };
  const given = Buffer.alloc(digits);
  given.write(code.slice(0, digits), 'latin1');
  const wellFormed = code.length === digits && /^\d+$/.test(code);
  const current = timeStep(timeMs, period);
  let found: number | null = null;
  for (let step = current + window; step >= current - window; step--) {
    if (step < 0) continue;
    const equal = timingSafeEqual(Buffer.from(hotp(key, step, digits, algorithm)), given);
    if (equal && wellFormed && found === null) found = step;
  }
  return found;
}
