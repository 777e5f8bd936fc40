import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { base32Decode, base32Encode } from '../../../src/core/totp/base32.js';
import { type OtpAlgorithm, hotp, matchingStep, totp } from '../../../src/core/totp/otp.js';

const vectors = JSON.parse(readFileSync(new URL('./rfc4226-rfc6238-vectors.json', import.meta.url), 'utf8')) as {
  hotp: { secretAscii: string; digits: number; values: string[] };
  totp: { digits: number; period: number; seedsAscii: Record<OtpAlgorithm, string>; cases: Array<{ time: number } & Record<OtpAlgorithm, string>> };
};

describe('HOTP (RFC 4226 Appendix D)', () => {
  const key = Buffer.from(vectors.hotp.secretAscii, 'ascii');
  vectors.hotp.values.forEach((expected, counter) => {
    test(`counter ${counter} gives ${expected}`, () => {
      assert.equal(hotp(key, counter, vectors.hotp.digits), expected);
    });
  });
});

describe('TOTP (RFC 6238 Appendix B)', () => {
  for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
    const key = Buffer.from(vectors.totp.seedsAscii[algorithm], 'ascii');
    for (const c of vectors.totp.cases) {
      test(`${algorithm} at ${c.time} s gives ${c[algorithm]}`, () => {
        const options = { algorithm, digits: vectors.totp.digits, period: vectors.totp.period };
        assert.equal(totp(key, c.time * 1000, options), c[algorithm]);
        assert.equal(matchingStep(key, c[algorithm], c.time * 1000, options), Math.floor(c.time / 30));
      });
    }
  }
});

describe('the ±1 step window', () => {
  const key = Buffer.from('12345678901234567890', 'ascii');
  const t = 1_700_000_000_000;
  const step = Math.floor(t / 30_000);

  test('accepts the previous, current and next step and answers which one matched', () => {
    for (const delta of [-1, 0, 1]) {
      assert.equal(matchingStep(key, hotp(key, step + delta), t), step + delta);
    }
  });

  test('refuses codes two steps away, wrong codes and malformed codes', () => {
    assert.equal(matchingStep(key, hotp(key, step - 2), t), null);
    assert.equal(matchingStep(key, hotp(key, step + 2), t), null);
    const wrong = String((Number(hotp(key, step)) + 1) % 1_000_000).padStart(6, '0');
    assert.equal(matchingStep(key, wrong, t), null);
    for (const bad of ['', '12345', '1234567', 'abcdef', `${hotp(key, step)}0`, '١٢٣٤٥٦']) {
      assert.equal(matchingStep(key, bad, t), null, bad);
    }
  });
});

describe('base32 (RFC 4648)', () => {
  test('encodes the RFC 4648 test vectors without padding', () => {
    const cases: Array<[string, string]> = [['', ''], ['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI']];
    for (const [plain, encoded] of cases) {
      assert.equal(base32Encode(Buffer.from(plain)), encoded);
      if (plain) assert.equal(base32Decode(encoded)?.toString(), plain);
    }
  });

  test('decodes lower case, spaces and padding, and refuses other characters', () => {
    assert.equal(base32Decode('mzxw 6ytb oi======')?.toString(), 'foobar');
    assert.equal(base32Decode('MZXW-6YTB-OI')?.toString(), 'foobar');
    assert.equal(base32Decode('MZXW1'), null);
    assert.equal(base32Decode(''), null);
    assert.equal(base32Decode('==='), null);
    for (const bad of ['MZ=XW', 'MZXW\u0000', 'MZXWé', 'MZXW\u0131', 'MZ\uFF21']) assert.equal(base32Decode(bad), null, bad);
  });
});
