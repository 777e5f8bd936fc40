/** Small dependency-free primitives every capability uses: random tokens, ids, hashes, comparison. */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** A 34-character id in Twilio's style: two-letter prefix + 32 hex digits (AC…, LM…, OTP uses three). */
export function newSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

/** An opaque bearer secret: prefix + 32 random bytes, base64url. Stored only as sha256Hex. */
export function newToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function sha256Hex(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time comparison of two strings; unequal lengths compare a hash so timing stays flat. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    timingSafeEqual(createHash('sha256').update(ab).digest(), createHash('sha256').update(bb).digest());
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/** A string of `length` characters drawn uniformly from `alphabet` by a CSPRNG. */
export function randomString(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export const now = (): number => Date.now();
