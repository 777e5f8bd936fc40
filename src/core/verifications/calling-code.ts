/**
 * The country calling code of an E.164 number ("+447700900123" → "44"), for the codes-sent metric. ITU's
 * calling codes are prefix-free: 1 and 7 are the only one-digit codes, these are the two-digit ones, and
 * every other is three digits, so no table of countries is needed.
 */
const TWO_DIGITS = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(' '),
);

/** "unknown" for anything that is not +digits. */
export function callingCode(number: string): string {
  if (!/^\+[1-9]\d{3,14}$/.test(number)) return 'unknown';
  const digits = number.slice(1);
  if (digits[0] === '1' || digits[0] === '7') return digits[0];
  return TWO_DIGITS.has(digits.slice(0, 2)) ? digits.slice(0, 2) : digits.slice(0, 3);
}

/**
 * The country a send is counted under in usage_daily, as migration 0025's countrySql computes it from
 * a stored row: 'none' for email, the calling code of a "+" number (whatever its length), 'unknown'
 * otherwise. The SQLite send writes its count with this value (migration 0029), PostgreSQL's trigger
 * with that expression; test/core/verifications/calling-code.test.ts holds them equal.
 */
export function usageCountry(channel: string, to: string): string {
  if (channel === 'email') return 'none';
  if (to[0] !== '+') return 'unknown';
  if (to[1] === '1' || to[1] === '7') return to[1];
  return TWO_DIGITS.has(to.slice(1, 3)) ? to.slice(1, 3) : to.slice(1, 4);
}
