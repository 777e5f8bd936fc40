/**
 * The library API of the Comm100 "Comm100.2fa" functions: CreateSecret and VerifyCode, plus the QR
 * code of a secret. Defaults are the specs' (SHA-1, 6 digits, 30 s, ±1 step).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type QRCodeModule from 'qrcode';
import { base32Decode, base32Encode } from './base32.js';
import { type TotpOptions, TOTP_DEFAULTS, matchingStep } from './otp.js';

export interface Secret {
  /** 20 random bytes (160 bits, RFC 4226's recommendation) in unpadded base32. */
  secretKey: string;
  /** Key Uri Format: otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30 */
  otpauthUrl: string;
}

export const SECRET_BYTES = 20;

/**
 * Issuer and account are percent-encoded each on its own; the ':' between them stays literal. The
 * format forbids a colon inside either name (apps split the label on the first one, encoded or
 * not), so the label drops theirs; the issuer parameter keeps the name as given.
 */
export function otpauthUrl(secretKey: string, companyName: string, userAccount: string, options: TotpOptions = {}): string {
  const { algorithm, digits, period } = { ...TOTP_DEFAULTS, ...options };
  const issuer = encodeURIComponent(companyName);
  const account = encodeURIComponent(userAccount.replace(/:/g, ''));
  const prefix = encodeURIComponent(companyName.replace(/:/g, ''));
  const label = prefix ? `${prefix}:${account}` : account;
  const query = `secret=${secretKey}${issuer ? `&issuer=${issuer}` : ''}&algorithm=${algorithm}&digits=${digits}&period=${period}`;
  return `otpauth://totp/${label}?${query}`;
}

export function createSecret(companyName: string, userAccount: string): Secret {
  const secretKey = base32Encode(randomBytes(SECRET_BYTES));
  return { secretKey, otpauthUrl: otpauthUrl(secretKey, companyName, userAccount) };
}

/** The time step a code matches for a base32 secret (now, ±1 step), or null; never throws on bad input. */
export function verifyCodeStep(secretKey: string, code: string, timeMs: number = Date.now(), options: TotpOptions = {}): number | null {
  if (typeof secretKey !== 'string' || typeof code !== 'string' || secretKey.length > 200) return null;
  const key = base32Decode(secretKey);
  if (!key || key.length < 10) return null;
  return matchingStep(key, code.trim(), timeMs, options);
}

export function verifyCode(secretKey: string, code: string): boolean {
  return verifyCodeStep(secretKey, code) !== null;
}

/** A data: URL of a PNG QR code of the otpauth URL, for a phone's authenticator to scan. */
export function qrcodeUrl(url: string): Promise<string> {
  // Loaded at the first enrolment: most of a server's life never draws one.
  const QRCode = createRequire(import.meta.url)('qrcode') as typeof QRCodeModule;
  return QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 2, scale: 6 });
}
