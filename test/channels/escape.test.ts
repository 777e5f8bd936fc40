import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasLineBreak, headerValue, isSafeVoice, smsBody, stripControls, ttsLanguage, xmlEscape } from '../../src/channels/escape.js';

describe('xmlEscape', () => {
  it('turns the five markup characters into entities', () => {
    assert.equal(xmlEscape(`<a href="x">Tom & 'Jerry'</a>`), '&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;');
  });

  it('makes a CDATA terminator and a closing </Say> with a <Dial> plain text', () => {
    assert.equal(xmlEscape(']]>'), ']]&gt;');
    const escaped = xmlEscape('</Say><Dial>+19005550100</Dial><Say>');
    assert.equal(escaped, '&lt;/Say&gt;&lt;Dial&gt;+19005550100&lt;/Dial&gt;&lt;Say&gt;');
    assert.doesNotMatch(escaped, /[<>]/);
  });

  it('escapes existing entities again rather than trusting them', () => {
    assert.equal(xmlEscape('&lt;Dial&gt;'), '&amp;lt;Dial&amp;gt;');
  });

  it('drops characters XML 1.0 cannot carry but keeps tabs, line breaks and emoji', () => {
    assert.equal(xmlEscape('a\u0000b\u0008c\u000bd\ufffe\ud800e'), 'abcde');
    assert.equal(xmlEscape('a\tb\nc\rd 😀'), 'abcd 😀', 'TwiML carries no control character (issue 22)');
    assert.equal(xmlEscape('a\u0085b\u2028c\u009fd'), 'abcd');
  });
});

describe('ttsLanguage and isSafeVoice', () => {
  it('accepts language tags, with or without the engine prefix, and returns the tag', () => {
    assert.equal(ttsLanguage('en-US'), 'en-US');
    assert.equal(ttsLanguage('fr'), 'fr');
    assert.equal(ttsLanguage('awspolly.ja-JP'), 'ja-JP');
    assert.equal(ttsLanguage('cmn-Hans-CN'), 'cmn-Hans-CN');
  });

  it('refuses anything that could leave an attribute', () => {
    for (const bad of ['en-US"', "en' x='1", 'en US', 'en-US\n', '<en>', '', 'e', 'a.b.en-US', 'en-&amp;']) {
      assert.equal(ttsLanguage(bad), null, bad);
    }
  });

  it('accepts voice names and refuses markup, quotes and spaces', () => {
    for (const good of ['man', 'woman', 'alice', 'Polly.Joanna', 'Polly.Joanna-Neural', 'Google.en-US-Standard-C']) {
      assert.equal(isSafeVoice(good), true, good);
    }
    for (const bad of ['wo"man', 'man>', 'a b', '', '.x', 'x'.repeat(65), 'man\r\n']) assert.equal(isSafeVoice(bad), false, bad);
  });
});

describe('headerValue', () => {
  it('turns CR, LF and other controls into a space so no header can be added', () => {
    assert.equal(headerValue('Your code\r\nBcc: victim@example.com'), 'Your code Bcc: victim@example.com');
    assert.equal(headerValue('a\rb\nc\u0000d\u2028e\u0085f'), 'a b c d e f');
    assert.equal(hasLineBreak('ok subject'), false);
    assert.equal(hasLineBreak('bad\nsubject'), true);
    assert.equal(hasLineBreak('bad\rsubject'), true);
    assert.equal(hasLineBreak('bad\u2028subject'), true);
  });
});

describe('smsBody', () => {
  it('keeps line breaks as LF and removes other controls and direction overrides', () => {
    assert.equal(smsBody('Code 1234\r\nfrom Acme\rbye'), 'Code 1234\nfrom Acme\nbye');
    assert.equal(smsBody('a\u0000b\u0007c\u001bd\u007fe\u0085f'), 'abcdef');
    assert.equal(smsBody('Pay \u202eevil\u202c\u2066x\u2069'), 'Pay evilx');
    assert.equal(smsBody('Código: 1234 ✓'), 'Código: 1234 ✓');
  });
});

const EVERY_CONTROL = [...Array.from({ length: 0x20 }, (_, i) => i), ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i), 0x2028, 0x2029].map((c) => String.fromCharCode(c));

describe('stripControls', () => {
  it('leaves out every Cc character, U+0085, U+2028 and U+2029, and nothing else', () => {
    assert.equal(EVERY_CONTROL.length, 67);
    for (const c of EVERY_CONTROL) assert.equal(stripControls(`a${c}b`), 'ab', `U+${c.charCodeAt(0).toString(16)}`);
    assert.equal(stripControls('Zoë 😀 \u00a0\u200b\u202e'), 'Zoë 😀 \u00a0\u200b\u202e', 'not Cc: kept');
    assert.equal(stripControls('a\r\n\u0085b', { replacement: ' ' }), 'a b');
    assert.equal(stripControls('a\r\n\tb\u0000', { keep: '\n\t' }), 'a\n\tb');
  });
});
