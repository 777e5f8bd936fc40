import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TWIML_LENGTH, TwimlError, codeCallTwiml, sayOptions, spellDigits } from '../../src/channels/twiml.js';

describe('spellDigits', () => {
  it('spells every run of two or more digits one digit at a time', () => {
    assert.equal(spellDigits('Your code is 123456.'), 'Your code is 1, 2, 3, 4, 5, 6.');
    assert.equal(spellDigits('Code 0042, valid 5 minutes'), 'Code 0, 0, 4, 2, valid 5 minutes');
  });
});

describe('sayOptions', () => {
  it('reads language, voice and repeat (a numeric string counts)', () => {
    assert.deepEqual(sayOptions({ language: 'en-GB', voice: 'woman', repeat: '2' }), { language: 'en-GB', voice: 'woman', repeat: 2 });
    assert.deepEqual(sayOptions(undefined), {});
    assert.deepEqual(sayOptions({ language: '', voice: null, repeat: undefined }), {});
  });

  it('refuses a non-string language or voice and an out-of-range repeat', () => {
    assert.throws(() => sayOptions({ language: 42 }), TwimlError);
    assert.throws(() => sayOptions({ voice: ['man'] }), TwimlError);
    assert.throws(() => sayOptions({ repeat: -1 }), TwimlError);
    assert.throws(() => sayOptions({ repeat: '1e3' }), TwimlError);
  });
});

describe('codeCallTwiml', () => {
  it('repeats the <Say> with a pause between, not after the last', () => {
    const twiml = codeCallTwiml('12', { repeat: 2 });
    assert.equal(twiml, '<?xml version="1.0" encoding="UTF-8"?><Response><Say>1, 2</Say><Pause length="1"/><Say>1, 2</Say></Response>');
  });

  it('refuses a script longer than Twilio accepts inline', () => {
    assert.throws(() => codeCallTwiml('x'.repeat(MAX_TWIML_LENGTH), {}), TwimlError);
    assert.throws(() => codeCallTwiml('y'.repeat(500), { repeat: 10 }), TwimlError);
  });
});
