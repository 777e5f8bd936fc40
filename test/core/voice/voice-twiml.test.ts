// Whatever text a tenant or a caller supplies, the TwiML stays well formed and says exactly that text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { client, dial, hangup, number, play, say, twiml } from '../../../src/core/voice/voice-twiml.js';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, parseAttributeValue: false, trimValues: false, processEntities: true });
/** Control characters (Cc, U+2028, U+2029) and what XML 1.0 cannot carry are dropped; everything else must come back unchanged. */
const carriable = (s: string) =>
  s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '').replace(/[\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '');

test('any text in <Say>, <Play>, <Client> and a <Dial> attribute parses back as itself', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), (text, attr) => {
      // XML parsers normalise line ends; TwiML text never needs a CR.
      const t = text.replace(/\r/g, '');
      const a = attr.replace(/[\r\n\t]/g, '');
      const xml = twiml(say({ text: t, language: a }), play(t), dial({ action: a, timeout: 5 }, client(t), number(t)), hangup());
      assert.equal(XMLValidator.validate(xml), true, xml);
      const doc = parser.parse(xml).Response;
      const text0 = (v: unknown) => (typeof v === 'object' && v !== null ? ((v as Record<string, unknown>)['#text'] ?? '') : (v ?? ''));
      assert.equal(text0(doc.Say), carriable(t));
      assert.equal(doc.Say['@language'] ?? '', carriable(a));
      assert.equal(text0(doc.Play), carriable(t));
      assert.equal(doc.Dial['@action'] ?? '', carriable(a));
      assert.equal(text0(doc.Dial.Client), carriable(t));
      assert.ok('Hangup' in doc);
    }),
    { numRuns: 300 },
  );
});

test('markup in text stays text', () => {
  const xml = twiml(say({ text: ']]></Say><Dial><Number>+19005550000</Number></Dial><Say>' }));
  const doc = parser.parse(xml).Response;
  assert.equal(doc.Dial, undefined);
  assert.equal(doc.Say, ']]></Say><Dial><Number>+19005550000</Number></Dial><Say>');
});
