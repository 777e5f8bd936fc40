/**
 * ISO 8601 date-times as every face reads them: a full date, a time to the second (fractions allowed)
 * and a zone (Z or ±hh[:mm]); without a zone (2026-12-06T04:00:00, valid ISO 8601) the time is UTC,
 * as the documents assume. A calendar date that does not exist is refused, not rolled over.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

export function parseIso8601(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = DATE_TIME.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(local);
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  let offset = 0;
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone!.replace(':', '');
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3) || '0');
    if (hours > 23 || minutes > 59) return null;
    offset = (digits[0] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
  }
  return local - offset + Math.floor(Number(`0${frac ?? ''}`) * 1000);
}

/** A day as YYYY-MM-DD, for the compiled figures' ranges. */
export function parseDay(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  return parseIso8601(`${value}T00:00:00Z`);
}

export const DAY_MS = 86_400_000;
export const dayOf = (dayIndex: number) => new Date(dayIndex * DAY_MS).toISOString().slice(0, 10);
