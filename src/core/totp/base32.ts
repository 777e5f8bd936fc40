/** RFC 4648 base32 (the alphabet authenticator apps use), written without padding. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** A character code's value, or -1: upper and lower case alike. */
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) {
  VALUES[ALPHABET.charCodeAt(i)] = i;
  VALUES[ALPHABET.toLowerCase().charCodeAt(i)] = i;
}

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes base32, forgiving what people type or apps print (lower case, spaces, trailing '=');
 * answers null for anything else, so callers treat a malformed secret like a wrong one.
 */
export function base32Decode(text: string): Buffer | null {
  // What people type or apps print: spaces and dashes between groups, '=' padding at the end.
  const clean = /[\s=-]/.test(text) ? text.replace(/[\s-]/g, '').replace(/=+$/, '') : text;
  if (clean.length === 0) return null;
  const out = Buffer.allocUnsafe(Math.floor((clean.length * 5) / 8));
  let at = 0;
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < clean.length; i++) {
    const code = clean.charCodeAt(i);
    const value = code < 128 ? VALUES[code]! : -1;
    if (value < 0) return null;
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      out[at++] = (buffer >>> (bits - 8)) & 255;
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}
