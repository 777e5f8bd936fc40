/**
 * Making caller-supplied text inert where it lands: TwiML (XML), email headers, SMS bodies.
 * Each function returns text that cannot change the structure of its container, whatever it is given.
 */

/** Characters XML 1.0 forbids outright (most C0 controls, lone surrogates, U+FFFE/U+FFFF). */
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Anything either replacement below would touch (surrogates are checked in pairs only when present). */
const NEEDS_ESCAPE = /[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/;

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Text safe inside an XML element or a double- or single-quoted attribute: the five markup characters
 * become entities (so `]]>`, `</Say>` and quotes are plain text) and characters XML cannot carry are dropped.
 */
export function xmlEscape(text: string): string {
  // Most text (names, numbers, URLs, greetings) needs nothing: one scan answers it as it is.
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(XML_INVALID, '').replace(/[&<>"']/g, (c) => XML_ENTITIES[c] ?? '');
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
  return text
    .replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ')
    .trim();
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
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '');
}
