/**
 * The TwiML a code call plays: the message read aloud with every number spelled digit by digit
 * ("1, 2, 3, 4, 5, 6"), in the caller's language and voice, `repeat` times with a pause between.
 * Every piece of caller text is XML-escaped; language and voice must match a safe pattern.
 */
import { isSafeVoice, ttsLanguage, xmlEscape } from './escape.js';

export interface SayOptions {
  language?: string;
  voice?: string;
  repeat?: number;
}

export const MAX_REPEAT = 10;
/** Twilio refuses inline TwiML longer than this. */
export const MAX_TWIML_LENGTH = 4000;

export class TwimlError extends Error {}

/** Reads the call options a message carries, refusing values that are not what they claim to be. */
export function sayOptions(options: Record<string, unknown> | undefined): SayOptions {
  const out: SayOptions = {};
  const { language, voice, repeat } = options ?? {};
  if (language !== undefined && language !== null && language !== '') {
    const tag = typeof language === 'string' ? ttsLanguage(language) : null;
    if (!tag) throw new TwimlError('language is not a language tag such as en-US');
    out.language = tag;
  }
  if (voice !== undefined && voice !== null && voice !== '') {
    if (typeof voice !== 'string' || !isSafeVoice(voice)) throw new TwimlError('voice is not a voice name such as woman or Polly.Joanna');
    out.voice = voice;
  }
  if (repeat !== undefined && repeat !== null && repeat !== '') {
    const n = typeof repeat === 'string' && /^\d+$/.test(repeat) ? Number(repeat) : repeat;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_REPEAT) {
      throw new TwimlError(`repeat must be a whole number from 1 to ${MAX_REPEAT}`);
    }
    out.repeat = n;
  }
  return out;
}

/** "Your code is 123456." → "Your code is 1, 2, 3, 4, 5, 6." so TTS reads digits, not a large number. */
export function spellDigits(text: string): string {
  return text.replace(/\d{2,}/g, (run) => run.split('').join(', '));
}

export function codeCallTwiml(text: string, options: SayOptions = {}): string {
  const attrs =
    (options.language ? ` language="${xmlEscape(options.language)}"` : '') +
    (options.voice ? ` voice="${xmlEscape(options.voice)}"` : '');
  const say = `<Say${attrs}>${xmlEscape(spellDigits(text))}</Say>`;
  const repeat = options.repeat ?? 1;
  const parts: string[] = [];
  for (let i = 0; i < repeat; i++) parts.push(say);
  const twiml = `<?xml version="1.0" encoding="UTF-8"?><Response>${parts.join('<Pause length="1"/>')}</Response>`;
  if (twiml.length > MAX_TWIML_LENGTH) throw new TwimlError(`the call script is longer than ${MAX_TWIML_LENGTH} characters`);
  return twiml;
}
