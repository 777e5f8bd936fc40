import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ICAL from 'ical.js';
import { escapeText, foldLine, toVcard, toVcards } from '../../../src/core/sip-directory/vcard.js';

/** Every card of a text, parsed by ical.js (an RFC 6350 parser written by others). */
function parseCards(text: string): InstanceType<typeof ICAL.Component>[] {
  const parsed = ICAL.parse(text) as unknown[];
  const roots = typeof parsed[0] === 'string' ? [parsed] : parsed;
  return roots.map((jcard) => new ICAL.Component(jcard as any));
}

describe('vCard 4.0 of SIP contacts', () => {
  it('writes the spec example, card for card, with CRLF line ends', () => {
    const text = toVcards([
      { identifier: 'schoen.tatyana@sip.linphone.org', displayName: null, dtmfProtocol: 'sipinfo', types: ['phone'], actions: [{ key: 'action_key', code: '123' }] },
      { identifier: 'dhand@sip.linphone.org', displayName: null, dtmfProtocol: 'sipinfo', types: [], actions: [] },
    ]);
    assert.equal(
      text,
      [
        'BEGIN:VCARD', 'VERSION:4.0', 'KIND:individual', 'IMPP:sip:schoen.tatyana@sip.linphone.org', 'FN:schoen.tatyana@sip.linphone.org',
        'X-LINPHONE-ACCOUNT-DTMF-PROTOCOL:sipinfo', 'X-LINPHONE-ACCOUNT-TYPE:phone', 'X-LINPHONE-ACCOUNT-ACTION:action_key;123', 'END:VCARD',
        'BEGIN:VCARD', 'VERSION:4.0', 'KIND:individual', 'IMPP:sip:dhand@sip.linphone.org', 'FN:dhand@sip.linphone.org',
        'X-LINPHONE-ACCOUNT-DTMF-PROTOCOL:sipinfo', 'END:VCARD', '',
      ].join('\r\n'),
    );
    const cards = parseCards(text);
    assert.equal(cards.length, 2);
    assert.equal(cards[0]!.getFirstPropertyValue('version'), '4.0');
    assert.equal(cards[0]!.getFirstPropertyValue('impp'), 'sip:schoen.tatyana@sip.linphone.org');
    assert.equal(cards[0]!.getFirstPropertyValue('x-linphone-account-dtmf-protocol'), 'sipinfo');
    assert.equal(cards[0]!.getFirstPropertyValue('x-linphone-account-type'), 'phone');
    assert.equal(cards[1]!.getFirstPropertyValue('fn'), 'dhand@sip.linphone.org');
    assert.equal(cards[1]!.getFirstProperty('x-linphone-account-type'), null);
  });

  it('names a contact by its display name, escaped so ical.js reads back the same text', () => {
    const name = 'Dr. Who; Jr., back\\slash\nsecond line';
    const text = toVcard({ identifier: 'who@sip.example.org', displayName: name, dtmfProtocol: null, types: [], actions: [] });
    assert.match(text, /\r\nFN:Dr\. Who; Jr\.\\, back\\\\slash\\nsecond line\r\n/);
    assert.equal(parseCards(text)[0]!.getFirstPropertyValue('fn'), name);
  });

  it('lists every type and every action, and ical.js reads each action as key and code', () => {
    const text = toVcard({
      identifier: 'desk@sip.example.org', displayName: 'Desk', dtmfProtocol: 'rfc2833', types: ['phone', 'door-bell'],
      actions: [{ key: 'open-door', code: '1234' }, { key: 'light', code: '9' }],
    });
    const card = parseCards(text)[0]!;
    assert.deepEqual(card.getAllProperties('x-linphone-account-type').map((p) => p.getFirstValue()), ['phone', 'door-bell']);
    const actions = card.getAllProperties('x-linphone-account-action').map((p) => p.toICALString());
    assert.deepEqual(actions, ['X-LINPHONE-ACCOUNT-ACTION:open-door;1234', 'X-LINPHONE-ACCOUNT-ACTION:light;9']);
  });

  it('folds lines longer than 75 octets without splitting a UTF-8 character, and ical.js unfolds them', () => {
    const name = `Ünïcödé ${'é'.repeat(60)} ${'long name '.repeat(10)}`;
    const text = toVcard({ identifier: 'long@sip.example.org', displayName: name, dtmfProtocol: null, types: [], actions: [] });
    const lines = text.split('\r\n');
    for (const line of lines) assert.ok(Buffer.byteLength(line, 'utf8') <= 75, `${Buffer.byteLength(line)} octets: ${line}`);
    assert.ok(lines.some((l) => l.startsWith(' ')), 'nothing was folded');
    assert.ok(!text.includes('\uFFFD'));
    assert.equal(parseCards(text)[0]!.getFirstPropertyValue('fn'), name);
  });

  it('leaves short lines alone and escapes only what RFC 6350 names', () => {
    assert.equal(foldLine('FN:short'), 'FN:short');
    assert.equal(foldLine('x'.repeat(75)), 'x'.repeat(75));
    assert.equal(foldLine('x'.repeat(76)), `${'x'.repeat(75)}\r\n x`);
    assert.equal(escapeText('a:b"c;d'), 'a:b"c;d');
    assert.equal(escapeText('a;b', true), 'a\\;b');
  });
});
