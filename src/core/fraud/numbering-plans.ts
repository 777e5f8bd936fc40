/**
 * libphonenumber-js's ("max") answer for an E.164 number, with each numbering plan's patterns
 * compiled once. The library compiles every pattern it tries anew on each call (`new RegExp` in its
 * matchesEntirely) and walks its metadata through fresh objects: 10–15 µs a number, the largest
 * single cost of a send to the outbox. This follows the library's own steps for a number written
 * "+<digits>" (parse: calling code, national prefix, country; then getType and isValid) over the same
 * metadata, read through its Metadata class; test/core/fraud/numbering-plans.test.ts compares the two
 * on every calling code. Where a step would need the library's rarer paths (a national prefix to
 * strip, a non-geographic calling code, an unusual input) it answers `null` and the caller asks the
 * library itself.
 */
import { Metadata } from 'libphonenumber-js/core';
import metadataJson from 'libphonenumber-js/max/metadata';

/** What libphonenumber-js reports: a number type, or undefined when it finds none. */
export type PlanType = 'FIXED_LINE' | 'MOBILE' | 'FIXED_LINE_OR_MOBILE' | 'PREMIUM_RATE' | 'TOLL_FREE' | 'SHARED_COST' | 'VOIP' | 'PERSONAL_NUMBER' | 'PAGER' | 'UAN' | 'VOICEMAIL';

/** The order the library's getNumberType tries the types in, after fixed line. */
const NON_FIXED_LINE: PlanType[] = ['MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'];

/** The parts of the library's numbering plan object read here (its typings declare fewer). */
interface RuntimeType {
  pattern(): string;
  possibleLengths(): number[] | undefined;
}
interface RuntimePlan {
  nationalNumberPattern(): string;
  leadingDigits(): string | undefined;
  nationalPrefixForParsing(): string | undefined;
  hasTypes(): boolean;
  type(type: string): RuntimeType | undefined;
}

interface TypeRule {
  present: boolean;
  /** The pattern as the metadata writes it: "" is the library's "same as fixed line". */
  source: string | undefined;
  /** Null when the source is empty: the library never matches such a type. */
  pattern: RegExp | null;
  lengths: number[] | undefined;
}

interface Plan {
  national: RegExp;
  leadingDigits: RegExp | null;
  prefixForParsing: RegExp | null;
  hasTypes: boolean;
  types: Map<string, TypeRule>;
}

const whole = (source: string) => new RegExp(`^(?:${source})$`);
const plans = new Map<string, Plan>();

function planOf(countryOrCallingCode: string): Plan {
  let plan = plans.get(countryOrCallingCode);
  if (plan) return plan;
  const metadata = new Metadata(metadataJson);
  metadata.selectNumberingPlan(countryOrCallingCode as never);
  const p = metadata.numberingPlan as unknown as RuntimePlan;
  const types = new Map<string, TypeRule>();
  for (const name of ['FIXED_LINE', ...NON_FIXED_LINE]) {
    const t = p.type(name);
    const source = t?.pattern();
    types.set(name, { present: t !== undefined, source, pattern: source ? whole(source) : null, lengths: t?.possibleLengths() });
  }
  const leading = p.leadingDigits();
  const prefix = p.nationalPrefixForParsing();
  plan = {
    national: whole(p.nationalNumberPattern()),
    leadingDigits: leading ? new RegExp(leading) : null,
    prefixForParsing: prefix ? new RegExp(`^(?:${prefix})`) : null,
    hasTypes: p.hasTypes(),
    types,
  };
  plans.set(countryOrCallingCode, plan);
  return plan;
}

/** The library's isNumberTypeEqualTo. */
function isType(national: string, plan: Plan, type: string): boolean {
  const rule = plan.types.get(type)!;
  if (!rule.pattern) return false;
  if (rule.lengths && !rule.lengths.includes(national.length)) return false;
  return rule.pattern.test(national);
}

/** The library's getNumberType for a national number under one plan. */
function typeOf(national: string, plan: Plan): PlanType | undefined {
  if (!plan.national.test(national)) return undefined;
  if (isType(national, plan, 'FIXED_LINE')) {
    const mobile = plan.types.get('MOBILE')!;
    if (!mobile.present || mobile.source === '') return 'FIXED_LINE_OR_MOBILE';
    return isType(national, plan, 'MOBILE') ? 'FIXED_LINE_OR_MOBILE' : 'FIXED_LINE';
  }
  return NON_FIXED_LINE.find((t) => isType(national, plan, t));
}

const callingCodes = (metadataJson as unknown as { country_calling_codes: Record<string, string[]> }).country_calling_codes;

export interface PlanAnswer {
  /** getType()'s answer; undefined with valid false is the library's invalid number. */
  type: PlanType | undefined;
  valid: boolean;
  callingCode: string;
  national: string;
}

/** The library's answer for `e164`, or null where only the library itself can give it. */
export function numberingPlanAnswer(e164: string): PlanAnswer | null {
  if (!/^\+[1-9]\d{2,16}$/.test(e164)) return null;
  let callingCode: string | undefined;
  for (let i = 2; i <= 4; i++) {
    if (callingCodes[e164.slice(1, i)]) {
      callingCode = e164.slice(1, i);
      break;
    }
  }
  if (!callingCode) return null;
  const countries = callingCodes[callingCode]!;
  if (countries.includes('001')) return null;
  const national = e164.slice(1 + callingCode.length);
  const main = planOf(callingCode);
  // A national prefix to strip (or its transform rule) is the library's to judge.
  if (main.prefixForParsing) {
    const m = main.prefixForParsing.exec(national);
    if (m && m[0] !== '') return null;
  }
  if (national.length < 2 || national.length > 17) return null;
  let country: string | undefined = countries.length === 1 ? countries[0] : undefined;
  if (!country) {
    for (const candidate of countries) {
      const plan = planOf(candidate);
      if (plan.leadingDigits) {
        if (national.search(plan.leadingDigits) === 0) {
          country = candidate;
          break;
        }
      } else if (typeOf(national, plan)) {
        country = candidate;
        break;
      }
    }
  }
  const plan = planOf(country ?? callingCode);
  const type = typeOf(national, plan);
  const valid = type !== undefined || (!plan.hasTypes && plan.national.test(national));
  return { type, valid, callingCode, national };
}
