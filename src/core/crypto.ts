/** Small dependency-free primitives every capability uses: random tokens, ids, hashes, comparison. */
import { hash, randomFillSync, randomInt, timingSafeEqual } from 'node:crypto';

// Asking the CSPRNG for 16 bytes costs about as much as for 4096, and ids are made on hot paths,
// so they are cut from a pool refilled when spent. Every byte is handed out once.
const pool = Buffer.alloc(4096);
let used = pool.length;
function fromPool(bytes: number, encoding: 'hex' | 'base64url'): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.toString(encoding, used - bytes, used);
}
const randomHex = (bytes: number) => fromPool(bytes, 'hex');

/** A 34-character id in Twilio's style: two-letter prefix + 32 hex digits (AC…, LM…, OTP uses three). */
export function newSid(prefix: string): string {
  return prefix + randomHex(16);
}

/**
 * Like newSid, but the first 12 hex digits are the creation time in milliseconds (as in UUIDv7), so
 * rows keyed by it are appended at the end of their indexes instead of at random pages; that halved
 * the cost of a send on SQLite. 80 random bits remain.
 */
export function newTimeOrderedSid(prefix: string, at = Date.now()): string {
  return prefix + at.toString(16).padStart(12, '0') + randomHex(10);
}

/** An opaque bearer secret: prefix + 32 random bytes, base64url. Stored only as sha256Hex. */
export function newToken(prefix: string): string {
  return prefix + fromPool(32, 'base64url');
}

/** One-shot (crypto.hash): a third of the cost of a Hash object, and nothing left for the GC to finalise. */
export function sha256Hex(value: string | Buffer): string {
  return hash('sha256', value, 'hex');
}

/** Constant-time comparison of two strings; unequal lengths compare a hash so timing stays flat. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    timingSafeEqual(hash('sha256', ab, 'buffer'), hash('sha256', bb, 'buffer'));
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
