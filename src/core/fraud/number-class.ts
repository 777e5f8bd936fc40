/**
 * What kind of number a destination is, by libphonenumber-js's full ("max") metadata, and whether a
 * channel may send to it. SMS pumping earns on numbers whose owner is paid per message or minute:
 * premium rate and shared cost above all, and ranges nobody can tell (unknown type). An invalid number
 * is refused too: Twilio would refuse it anyway, after a paid attempt. For sms, a number that cannot
 * receive a text is refused: sms goes only to mobile, fixed-line-or-mobile (every North American number:
 * the plan does not tell them apart), VoIP and personal numbers; so fixed line only, UAN, voicemail,
 * pager and toll-free are refused for sms (a call may still reach the last three).
 */
import { parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { GatehouseError } from '../errors.js';
import { FraudErrors } from './errors.js';
import { numberingPlanAnswer } from './numbering-plans.js';

export type NumberClass =
  | 'invalid' | 'MOBILE' | 'FIXED_LINE' | 'FIXED_LINE_OR_MOBILE' | 'PREMIUM_RATE' | 'TOLL_FREE' | 'SHARED_COST' | 'VOIP'
  | 'PERSONAL_NUMBER' | 'PAGER' | 'UAN' | 'VOICEMAIL' | 'unknown';

export interface Classified {
  kind: NumberClass;
  /** The country calling code, without + ("1", "44"); null for an invalid number. */
  callingCode: string | null;
  /** The national significant number; null for an invalid number. */
  national: string | null;
}

/** Refused for both channels: nobody legitimately sends a one-time code there. */
const NEVER = new Set<NumberClass>(['invalid', 'PREMIUM_RATE', 'SHARED_COST', 'unknown']);
/** The only numbers an SMS goes to. */
const SMS = new Set<NumberClass>(['MOBILE', 'FIXED_LINE_OR_MOBILE', 'VOIP', 'PERSONAL_NUMBER']);

const WORDS: Record<NumberClass, string> = {
  invalid: 'not a valid phone number',
  MOBILE: 'a mobile number',
  FIXED_LINE: 'a fixed-line number, which cannot receive an SMS',
  FIXED_LINE_OR_MOBILE: 'a fixed-line or mobile number',
  PREMIUM_RATE: 'a premium-rate number',
  TOLL_FREE: 'a toll-free number, which cannot be relied on to receive an SMS',
  SHARED_COST: 'a shared-cost number',
  VOIP: 'a VoIP number',
  PERSONAL_NUMBER: 'a personal number',
  PAGER: 'a pager, which cannot receive an SMS',
  UAN: 'a universal access number, which cannot receive an SMS',
  VOICEMAIL: 'a voicemail access number, which cannot receive an SMS',
  unknown: 'of a number type that cannot be told',
};

export function classify(e164: string): Classified {
  const answer = numberingPlanAnswer(e164);
  if (answer) {
    if (!answer.type && !answer.valid) return { kind: 'invalid', callingCode: null, national: null };
    return { kind: answer.type ?? 'unknown', callingCode: answer.callingCode, national: answer.national };
  }
  return classifiedByLibrary(e164);
}

/** The library's own walk: the reference numbering-plans.ts follows, and its answer where that one has none. */
export function classifiedByLibrary(e164: string): Classified {
  try {
    const parsed = parsePhoneNumberWithError(e164);
    // A type is only found for a valid number, so validity is checked (a second metadata walk) only without one.
    const type = parsed.getType() as NumberClass | undefined;
    if (!type && !parsed.isValid()) return { kind: 'invalid', callingCode: null, national: null };
    return { kind: type ?? 'unknown', callingCode: parsed.countryCallingCode, national: parsed.nationalNumber };
  } catch {
    return { kind: 'invalid', callingCode: null, national: null };
  }
}

/** Whether a channel sends to a number of this class. */
export function channelAccepts(channel: 'sms' | 'call', kind: NumberClass): boolean {
  if (NEVER.has(kind)) return false;
  return channel === 'call' || SMS.has(kind);
}

/** The number's class, or a refusal naming the field (sms and call only). */
export function assertSendable(channel: 'sms' | 'call', to: string, field = 'to'): Classified {
  const c = classify(to);
  if (!channelAccepts(channel, c.kind)) {
    throw new GatehouseError(FraudErrors.numberRefused, `Destination number is ${WORDS[c.kind]}: no ${channel === 'sms' ? 'SMS' : 'call'} is sent to it`, { field, details: { numberType: c.kind } });
  }
  return c;
}

/**
 * The destination prefix the conversion guard counts by: "+" calling code "-" the first `digits`
 * national digits ("+1-415", "+44-771"), as Twilio's and Vonage's guards block a prefix or a range.
 */
export function prefixOf(c: Classified, digits: number): string {
  return `+${c.callingCode}-${c.national!.slice(0, digits)}`;
}

export const PREFIX = /^\+[1-9]\d{0,2}-\d{0,6}$/;
