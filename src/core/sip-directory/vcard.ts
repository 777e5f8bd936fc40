/**
 * vCard 4.0 (RFC 6350) for the contacts of a SIP account, in the shape Linphone clients read: one card
 * per contact with KIND, IMPP, FN and the X-LINPHONE-ACCOUNT-* extensions. Lines end in CRLF and are
 * folded at 75 octets without splitting a UTF-8 character (§3.2); text values are escaped (§3.4) and
 * carry no control character, so the only line breaks of a card are its own CRLFs.
 */
import { stripControls } from '../../channels/escape.js';

export interface VcardContact {
  /** `user@domain`, without the scheme. */
  identifier: string;
  displayName: string | null;
  dtmfProtocol: string | null;
  types: string[];
  actions: { key: string; code: string }[];
}

/**
 * §3.4: backslash, comma and line breaks in a TEXT value; a semicolon only inside a field of a
 * compound value, where it would otherwise separate fields (elsewhere parsers keep the backslash).
 * Every other control character (U+0085, U+2028 among them) is left out.
 */
export const escapeText = (value: string, compound = false) => {
  const escaped = stripControls(value.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/\r\n|\r|\n/g, '\\n'));
  return compound ? escaped.replace(/;/g, '\\;') : escaped;
};

/** §3.2: a line longer than 75 octets continues on lines that start with one space. */
export function foldLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= 75) return line;
  const parts: string[] = [];
  let start = 0;
  let limit = 75;
  while (start < bytes.length) {
    let end = Math.min(start + limit, bytes.length);
    // Back off to the first byte of a character: continuation bytes are 10xxxxxx.
    while (end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--;
    parts.push(bytes.subarray(start, end).toString('utf8'));
    start = end;
    limit = 74; // the leading space of a continuation line counts
  }
  return parts.join('\r\n ');
}

export function toVcard(contact: VcardContact): string {
  const lines = [
    'BEGIN:VCARD',
    'VERSION:4.0',
    'KIND:individual',
    `IMPP:sip:${stripControls(contact.identifier)}`,
    `FN:${escapeText(contact.displayName || contact.identifier)}`,
  ];
  if (contact.dtmfProtocol) lines.push(`X-LINPHONE-ACCOUNT-DTMF-PROTOCOL:${escapeText(contact.dtmfProtocol)}`);
  for (const type of contact.types) lines.push(`X-LINPHONE-ACCOUNT-TYPE:${escapeText(type)}`);
  // A structured value of two components, key and code, as the Linphone clients split it.
  for (const action of contact.actions) lines.push(`X-LINPHONE-ACCOUNT-ACTION:${escapeText(action.key, true)};${escapeText(action.code, true)}`);
  lines.push('END:VCARD');
  return lines.map(foldLine).join('\r\n') + '\r\n';
}

export const toVcards = (contacts: VcardContact[]) => contacts.map(toVcard).join('');
