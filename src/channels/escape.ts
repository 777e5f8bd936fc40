/**
 * Making caller-supplied text inert where it lands: TwiML (XML), vCards, SIP messages, email headers,
 * SMS bodies. Each function returns text that cannot change the structure of its container, whatever
 * it is given; every one of them leaves out control characters through stripControls.
 */

/** Unicode category Cc (C0, DEL, and C1 with U+0085 NEXT LINE) and U+2028/U+2029, the line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROL_RUNS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/**
 * The text without control characters (Cc, U+2028, U+2029): some parsers end a line at U+0085 or
 * U+2028, and a raw CR or LF ends one everywhere, so a name holding one could start a line of its own
 * in a vCard or a SIP header. `keep` names the few a container carries as content (a SIP message body
 * keeps its line breaks and tabs); `replacement` stands for each run of the others (an email header
 * keeps its words apart with a space).
 */
export function stripControls(text: string, options: { keep?: string; replacement?: string } = {}): string {
  if (!CONTROL.test(text)) return text;
  const { keep = '', replacement = '' } = options;
  return text.replace(CONTROL_RUNS, (run) => (keep ? [...run].filter((c) => keep.includes(c)).join('') : '') || replacement);
}

/** Characters XML 1.0 forbids outright besides controls (lone surrogates, U+FFFE/U+FFFF). */
const XML_INVALID = /[\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Anything the replacements below would touch (surrogates are checked in pairs only when present). */
const NEEDS_ESCAPE = /[&<>"'\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff\ufffe\uffff]/;

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Text safe inside an XML element or a double- or single-quoted attribute: the five markup characters
 * become entities (so `]]>`, `</Say>` and quotes are plain text); characters XML cannot carry and
 * control characters (TwiML has no use for them) are dropped.
 */
export function xmlEscape(text: string): string {
  // Most text (names, numbers, URLs, greetings) needs nothing: one scan answers it as it is.
  if (!NEEDS_ESCAPE.test(text)) return text;
  return stripControls(text).replace(XML_INVALID, '').replace(/[&<>"']/g, (c) => XML_ENTITIES[c] ?? '');
}

/**
 * A TTS language: `en-US`, `ja-JP`, or the Smart 2FA spelling `engine.language` (`awspolly.ja-JP`).
 * Returns the language Twilio's <Say> takes, or null when the value is not a language tag.
 */
export function ttsLanguage(value: string): string | null {
  const m = /^(?:[A-Za-z][A-Za-z0-9]{0,19}\.)?([a-zA-Z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3})$/.exec(value);
  return m ? (m[1] ?? null) : null;
}

/** A TTS voice: `man`, `woman`, `alice`, `Polly.Joanna`, `Google.en-US-Standard-C`… */
export function isSafeVoice(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(value);
}

/** One line of an email header: CR, LF and every other control character become a space. */
export function headerValue(text: string): string {
  return stripControls(text, { replacement: ' ' }).trim();
}

/** True when a header value would have to be changed to be safe — for refusing rather than rewriting. */
export function hasLineBreak(text: string): boolean {
  return /[\r\n\u0085\u2028\u2029]/.test(text);
}

/**
 * An SMS body: line breaks kept (as LF), other control characters and the bidirectional overrides that
 * make a message display differently from what it says (`\u202e`) removed.
 */
export function smsBody(text: string): string {
  return stripControls(text.replace(/\r\n?/g, '\n'), { keep: '\n' }).replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '');
}
