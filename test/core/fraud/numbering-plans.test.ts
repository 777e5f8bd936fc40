/**
 * numbering-plans.ts gives libphonenumber-js's own answer, faster: the two are compared on numbers of
 * every calling code (random digits at every length the plans allow and one digit either side, and
 * each country's example mobile number with its last digits changed), and the fast path must be the
 * one answering for nearly all of them.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { classifiedByLibrary, classify } from '../../../src/core/fraud/number-class.js';
import { numberingPlanAnswer } from '../../../src/core/fraud/numbering-plans.js';

const require = createRequire(import.meta.url);
const metadata = require('libphonenumber-js/metadata.max.json') as { country_calling_codes: Record<string, string[]>; countries: Record<string, unknown[]> };
const examples = require('libphonenumber-js/examples.mobile.json') as Record<string, string>;

/** A small seeded generator, so that a failure names a number that fails again. */
function digits(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    let out = '';
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
      out += String(s % 10);
    }
    return out;
  };
}

function numbers(): { fromExamples: string[]; out: string[] } {
  const random = digits(23);
  const out: string[] = [];
  const fromExamples: string[] = [];
  for (const [code, countries] of Object.entries(metadata.country_calling_codes)) {
    const lengths = new Set<number>();
    for (const country of countries) {
      const possible = (metadata.countries[country]?.[3] as number[] | undefined) ?? [];
      for (const l of possible) for (const d of [-1, 0, 1]) if (l + d >= 2 && l + d <= 17) lengths.add(l + d);
      const example = examples[country];
      if (example) for (let i = 0; i < 20; i++) fromExamples.push(`+${code}${example.slice(0, -3)}${random(3)}`);
    }
    if (!lengths.size) for (let l = 4; l <= 12; l++) lengths.add(l);
    for (const l of lengths) for (let i = 0; i < 40; i++) out.push(`+${code}${random(l)}`);
  }
  return { fromExamples, out };
}

test('the compiled plans answer as libphonenumber-js does, on every calling code', () => {
  const { fromExamples, out } = numbers();
  const kinds = new Set<string>();
  const fastShare = (list: string[]) => {
    let fast = 0;
    for (const n of list) {
      const expected = classifiedByLibrary(n);
      assert.deepEqual(classify(n), expected, n);
      kinds.add(expected.kind);
      if (numberingPlanAnswer(n) !== null) fast++;
    }
    return fast / list.length;
  };
  const onExamples = fastShare(fromExamples);
  const onRandom = fastShare(out);
  assert.ok(out.length + fromExamples.length > 40_000, `${out.length + fromExamples.length} numbers`);
  // The comparison means something only if the fast path gave the answers and they were varied.
  assert.ok(onExamples > 0.95, `the fast path answered ${onExamples} of the example mobiles`);
  assert.ok(onRandom > 0.8, `the fast path answered ${onRandom} of the random numbers`);
  for (const kind of ['invalid', 'MOBILE', 'FIXED_LINE', 'FIXED_LINE_OR_MOBILE', 'TOLL_FREE', 'PREMIUM_RATE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL']) assert.ok(kinds.has(kind), `no ${kind} among the numbers`);
});

test('a number outside the fast path still gets the library answer', () => {
  for (const n of ['+8001234567', '+4407712345678', '+1', 'not a number', '+12345678901234567890']) {
    assert.equal(numberingPlanAnswer(n), null, n);
    assert.deepEqual(classify(n), classifiedByLibrary(n), n);
  }
});
