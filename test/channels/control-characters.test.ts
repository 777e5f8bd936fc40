/**
 * Issue 22: no control character (Unicode Cc, C0 and C1 with U+0085, and U+2028/U+2029) reaches a
 * vCard, a SIP message or TwiML from the text Gatehouse is given, whatever that text is; the only
 * line breaks left are the formats' own CRLFs (and a SIP body's own LFs and tabs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { codeCallTwiml } from '../../src/channels/twiml.js';
import { toVcard } from '../../src/core/sip-directory/vcard.js';
import { buildMessageRequest } from '../../src/core/sip/message.js';
import { client, dial, number, play, say, twiml } from '../../src/core/voice/voice-twiml.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const EVERY_CONTROL = [...Array.from({ length: 0x20 }, (_, i) => i), ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i), 0x2028, 0x2029].map((c) => String.fromCharCode(c));

/** Text full of controls: any string, with any control character spliced in anywhere. */
const hostile = fc
  .tuple(fc.string({ unit: 'binary', maxLength: 40 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...EVERY_CONTROL)), { maxLength: 6 }))
  .map(([text, inserts]) => inserts.reduce((s, [at, c]) => s.slice(0, at % (s.length + 1)) + c + s.slice(at % (s.length + 1)), text));

test('a vCard carries no control character but its own CRLF line ends, and stays one card', () => {
  fc.assert(
    fc.property(hostile, hostile, fc.option(hostile), fc.array(hostile, { maxLength: 3 }), fc.array(fc.record({ key: hostile, code: hostile }), { maxLength: 2 }), (name, identifier, dtmf, types, actions) => {
      const card = toVcard({ identifier, displayName: name, dtmfProtocol: dtmf, types, actions });
      assert.ok(card.endsWith('\r\n'));
      const lines = card.slice(0, -2).split('\r\n');
      for (const line of lines) assert.doesNotMatch(line, CONTROL, JSON.stringify(line));
      assert.equal(lines.filter((l) => l.startsWith('BEGIN:')).length, 1);
      assert.equal(lines.filter((l) => l.startsWith('END:')).length, 1);
    }),
    { numRuns: 300 },
  );
});

test('a SIP MESSAGE carries no control character in its start line and headers; its body keeps only LF and tab', () => {
  fc.assert(
    fc.property(hostile, hostile, hostile, (from, to, body) => {
      const bytes = buildMessageRequest({ from: `sip:${from}@a.example`, to: `sip:${to}@b.example`, body }, { host: '127.0.0.1', port: 5060 }, { branch: 'z9hG4bKx', tag: 't', callId: 'c', cseq: 1 });
      const text = bytes.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const head = text.slice(0, end).split('\r\n');
      assert.equal(head.length, 9, 'the start line and eight headers, no more');
      for (const line of head) assert.doesNotMatch(line, CONTROL, JSON.stringify(line));
      const rest = text.slice(end + 4);
      assert.doesNotMatch(rest.replace(/[\n\t]/g, ''), CONTROL);
      assert.equal(Number(/Content-Length: (\d+)/.exec(text)![1]), Buffer.byteLength(rest));
    }),
    { numRuns: 300 },
  );
});

test('TwiML, of code calls and of phone lines, carries no control character at all', () => {
  fc.assert(
    fc.property(hostile, hostile, (text, attr) => {
      const xml = [
        codeCallTwiml(text),
        twiml(say({ text, language: attr }), play(text), dial({ action: attr, callerId: attr }, client(text), number(text))),
      ];
      for (const doc of xml) assert.doesNotMatch(doc, CONTROL, JSON.stringify(doc));
    }),
    { numRuns: 300 },
  );
});
